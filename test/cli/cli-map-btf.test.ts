// Maps created with BTF (by libbpf, from a Debian libbpf-tools object) dump
// as BTF-formatted values: structs, char-array strings, data sections and
// Kconfig externs — compared with bpftool in plain, -j and -p form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bpffsTempDir } from "../util/kernel.js";
import { writeToolObject } from "../util/libbpf-tools.js";
import { bpftool, ok } from "../util/cli.js";
import { Btf } from "../../src/btf/btf.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { loadBtf } from "../../src/btf/kernel.js";
import { Attr } from "../../src/sys/attr.js";
import { FD } from "../../src/sys/fd.js";
import { Cmd, MapCreateAttr } from "../../src/sys/layouts.js";
import { pinFd } from "../../src/sys/objects.js";
import { bpfCall } from "../../src/sys/syscall.js";
import { missingOracle, requireOracle } from "../util/environment.js";

test("BTF-formatted map dumps and lookups match bpftool (runqlat's maps)", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const pins = bpffsTempDir("tsbpf-cli-btfmap-");
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-cli-btfmap-"));
  try {
    const obj = writeToolObject("runqlat", objDir);
    if (!obj) return missingOracle(t, "libbpf-tools", "runqlat");
    const progDir = path.join(pins.path, "progs");
    const mapDir = path.join(pins.path, "maps");
    mkdirSync(progDir);
    mkdirSync(mapDir);
    const load = spawnSync("bpftool", ["prog", "loadall", obj, progDir, "pinmaps", mapDir], { encoding: "utf8" });
    if (load.status !== 0) return missingOracle(t, "bpftool", `it does not load runqlat's object here: ${load.stderr.trim().split("\n").pop() ?? ""}`);
    // hists: u32 key → struct hist { __u32 slots[26]; char comm[16]; }.
    const hists = path.join(mapDir, "hists");
    const slots = Array.from({ length: 104 }, (_, i) => ((i * 37) & 0xff).toString(16).padStart(2, "0"));
    const comm = ["62", "61", "73", "68", "00", "ff", "ff", "ff", "00", "00", "00", "00", "00", "00", "00", "00"]; // "bash"
    ok("map", "update", "pinned", hists, "key", "7", "0", "0", "0", "value", "hex", ...slots, ...comm);
    const notString = ["ff", ...comm.slice(1)]; // not printable: stays an array of chars
    ok("map", "update", "pinned", hists, "key", "8", "0", "0", "0", "value", "hex", ...slots, ...notString);
    ok("map", "update", "pinned", path.join(mapDir, "start"), "key", "1", "0", "0", "0", "value", ...Array(8).fill("0xff"));
    assert.match(ok("map", "lookup", "pinned", hists, "key", "7", "0", "0", "0"), /"comm": "bash"/);

    let compared = 0;
    for (const name of readdirSync(mapDir)) {
      const pin = path.join(mapDir, name);
      for (const mode of [[], ["-j"], ["-p"]]) {
        assert.equal(ok(...mode, "map", "dump", "pinned", pin), bpftool(...mode, "map", "dump", "pinned", pin), `${mode.join("")} dump ${name}`);
        assert.equal(ok(...mode, "map", "show", "pinned", pin), bpftool(...mode, "map", "show", "pinned", pin), `${mode.join("")} show ${name}`);
        compared++;
      }
    }
    for (const mode of [[], ["-j"], ["-p"]]) {
      assert.equal(ok(...mode, "map", "lookup", "pinned", hists, "key", "8", "0", "0", "0"),
        bpftool(...mode, "map", "lookup", "pinned", hists, "key", "8", "0", "0", "0"));
    }
    t.diagnostic(`${compared} map dumps/shows equal to bpftool's`);
  } finally {
    pins.cleanup();
    rmSync(objDir, { recursive: true, force: true });
  }
});

test("a per-CPU map with BTF dumps like bpftool (values per CPU, enums, strings)", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const btf = new Btf(encodeBtf([
    /* 1 */ { kind: "INT", name: "unsigned int", kindFlag: false, size: 4, signed: false, char: false, bool: false, bitOffset: 0, bits: 32 },
    /* 2 */ { kind: "INT", name: "char", kindFlag: false, size: 1, signed: true, char: false, bool: false, bitOffset: 0, bits: 8 },
    /* 3 */ { kind: "ARRAY", name: "", kindFlag: false, type: 2, indexType: 1, nelems: 8 },
    /* 4 */ { kind: "ENUM", name: "state", kindFlag: false, size: 4, signed: false, values: [{ name: "IDLE", value: 0 }, { name: "BUSY", value: 3 }] },
    /* 5 */ { kind: "STRUCT", name: "stat", kindFlag: false, size: 16, members: [
      { name: "count", type: 1, bitOffset: 0, bitfieldSize: 0 },
      { name: "name", type: 3, bitOffset: 32, bitfieldSize: 0 },
      { name: "state", type: 4, bitOffset: 96, bitfieldSize: 0 },
    ] },
  ]));
  const pins = bpffsTempDir("tsbpf-cli-percpu-btf-");
  const btfFd = loadBtf(btf);
  let mapFd: FD | undefined;
  try {
    const create = new Attr(MapCreateAttr);
    create.set("map_type", 6 /* BPF_MAP_TYPE_PERCPU_ARRAY */).set("key_size", 4).set("value_size", 16).set("max_entries", 2)
      .set("btf_fd", btfFd.raw).set("btf_key_type_id", 1).set("btf_value_type_id", 5);
    mapFd = new FD(bpfCall(Cmd.MAP_CREATE, create.address, create.size, "map create"), "test map");
    const pin = path.join(pins.path, "stats");
    pinFd(mapFd, pin);
    const name = ["0x74", "0x63", "0x70", "0", "0", "0", "0", "0"]; // "tcp"
    ok("map", "update", "pinned", pin, "key", "1", "0", "0", "0", "value", "42", "0", "0", "0", ...name, "3", "0", "0", "0");
    for (const mode of [[], ["-j"], ["-p"]]) {
      assert.equal(ok(...mode, "map", "dump", "pinned", pin), bpftool(...mode, "map", "dump", "pinned", pin), `${mode.join("")} dump`);
      assert.equal(ok(...mode, "map", "lookup", "pinned", pin, "key", "1", "0", "0", "0"),
        bpftool(...mode, "map", "lookup", "pinned", pin, "key", "1", "0", "0", "0"), `${mode.join("")} lookup`);
    }
  } finally {
    mapFd?.close();
    btfFd.close();
    pins.cleanup();
  }
});
