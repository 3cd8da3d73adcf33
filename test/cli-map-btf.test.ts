// Maps created with BTF (by libbpf, from a Debian libbpf-tools object) dump
// as BTF-formatted values: structs, char-array strings, data sections and
// Kconfig externs — compared with bpftool in plain, -j and -p form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bpffsTempDir, haveBpftool } from "./util/kernel.js";
import { writeToolObject } from "./util/libbpf-tools.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

function ok(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `tsbpf ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function bpftool(...args: string[]): string {
  return execFileSync("bpftool", args, { encoding: "utf8", maxBuffer: 64 << 20 });
}

test("BTF-formatted map dumps and lookups match bpftool (runqlat's maps)", (t) => {
  if (!haveBpftool()) {
    t.skip("bpftool is not installed");
    return;
  }
  const pins = bpffsTempDir("tsbpf-cli-btfmap-");
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-cli-btfmap-"));
  try {
    const obj = writeToolObject("runqlat", objDir);
    if (!obj) {
      t.skip("runqlat (libbpf-tools) is not installed");
      return;
    }
    const progDir = path.join(pins.path, "progs");
    const mapDir = path.join(pins.path, "maps");
    mkdirSync(progDir);
    mkdirSync(mapDir);
    const load = spawnSync("bpftool", ["prog", "loadall", obj, progDir, "pinmaps", mapDir], { encoding: "utf8" });
    if (load.status !== 0) {
      t.skip(`runqlat's object does not load here: ${load.stderr.trim().split("\n").pop() ?? ""}`);
      return;
    }
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
