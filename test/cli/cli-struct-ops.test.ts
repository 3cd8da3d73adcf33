// `tsbpf struct_ops show|list|dump|register|unregister` against bpftool, on
// the struct_ops fixtures (tcp_congestion_ops written in BPF): what one tool
// registers the other shows, dumps and unregisters, byte for byte; TCP
// traffic really runs on a congestion control registered by the CLI; nothing
// stays registered or pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bpftool, ok, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";
import { requireOracle } from "../util/environment.js";
import { tcpTransfer } from "../util/tcp-transfer.js";
import { counterMap } from "../sys/sys-attach-helpers.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/struct-ops/${name}.bpf.o`, import.meta.url));

function available(): string[] {
  return readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/);
}

/** Ids of the struct_ops maps named `name` (bpftool's listing). */
function idsOf(name: string): number[] {
  return (JSON.parse(bpftool("-j", "struct_ops", "show")) as { id: number; name: string }[]).filter((m) => m.name === name).map((m) => m.id);
}

function unregisterAll(name: string): void {
  for (const _ of idsOf(name)) spawnSync("bpftool", ["struct_ops", "unregister", "name", name]);
}

test("struct_ops show/list/dump print what bpftool prints for a map bpftool registered; tsbpf unregisters it", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const reg = spawnSync("bpftool", ["struct_ops", "register", fixture("oracle")], { encoding: "utf8" });
  assert.equal(reg.status, 0, reg.stderr);
  try {
    const [id] = idsOf("tsbpf_oracle");
    assert.ok(id !== undefined);
    for (const sel of [["name", "tsbpf_oracle"], ["id", String(id)]]) {
      for (const verb of ["show", "list", "dump"]) {
        for (const opts of [[], ["-j"], ["-p"]]) {
          const args = [...opts, "struct_ops", verb, ...sel];
          assert.equal(ok(...args), bpftool(...args), args.join(" "));
        }
      }
    }
    // The full listings hold every struct_ops map of the machine: ours must be among them, printed alike.
    assert.equal(ok("struct_ops", "show"), bpftool("struct_ops", "show"));
    assert.equal(ok("-j", "struct_ops", "dump"), bpftool("-j", "struct_ops", "dump"));
    assert.match(ok("struct_ops", "dump", "name", "tsbpf_oracle"), /"ssthresh": "u32 \(struct sock \*\) oracle_ssthresh\/prog_id:\d+",/);
    assert.equal(tcpTransfer("tsbpf_oracle", 256 * 1024), "tsbpf_oracle", "TCP runs on the registered congestion control");

    const un = tsbpf("struct_ops", "unregister", "name", "tsbpf_oracle");
    assert.equal(un.status, 0, un.stderr);
    assert.equal(un.stderr, `Unregistered tcp_congestion_ops tsbpf_oracle id ${id}\n`);
    assert.deepEqual(idsOf("tsbpf_oracle"), []);
    assert.ok(!available().includes("tsbpf_oracle"));
  } finally {
    unregisterAll("tsbpf_oracle");
  }
});

test("struct_ops register: plain maps stay registered after the command, link maps are pinned under LINK_DIR; bpftool agrees", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const r = tsbpf("struct_ops", "register", fixture("oracle"));
  try {
    assert.equal(r.status, 0, r.stderr);
    const [id] = idsOf("tsbpf_oracle");
    assert.equal(r.stderr, `Registered tcp_congestion_ops tsbpf_oracle id ${id}\n`);
    assert.equal(tcpTransfer("tsbpf_oracle", 128 * 1024), "tsbpf_oracle");
    // bpftool unregisters what tsbpf registered.
    bpftool("struct_ops", "unregister", "id", String(id));
    assert.ok(!available().includes("tsbpf_oracle"));
  } finally {
    unregisterAll("tsbpf_oracle");
  }

  const dir = bpffsTempDir("tsbpf-cli-so-");
  try {
    const j = tsbpf("-j", "struct_ops", "register", fixture("tcp-reno"), dir.path);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(j.stdout, "null\n");
    assert.deepEqual(readdirSync(dir.path), ["tsbpf_reno"], "the link of the .struct_ops.link map is pinned by map name");
    const link = JSON.parse(bpftool("-j", "link", "show", "pinned", `${dir.path}/tsbpf_reno`)) as { type: string; id: number };
    assert.equal(link.type, "struct_ops");
    assert.equal(tcpTransfer("tsbpf_reno", 256 * 1024), "tsbpf_reno");
    assert.ok(available().includes("tsbpf_plain"));
    // A link-registered map is not unregistered by deleting its value: the error says how.
    const refused = tsbpf("struct_ops", "unregister", "name", "tsbpf_reno");
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^Error: can't unload tcp_congestion_ops tsbpf_reno id \d+: Operation not supported \(it is registered through a link/);
    assert.equal(ok("-j", "struct_ops", "unregister", "name", "tsbpf_plain"), "null\n");
  } finally {
    dir.cleanup();
    unregisterAll("tsbpf_plain");
  }
  // Removing the pin unregistered the link's map (the kernel frees it asynchronously).
  for (let i = 0; i < 50 && available().includes("tsbpf_reno"); i++) spawnSync("sleep", ["0.1"]);
  assert.ok(!available().includes("tsbpf_reno"), "unregistered once the pin is gone");
});

test("struct_ops errors: selectors, absent maps, maps of other types, objects without struct_ops", () => {
  const failure = (args: string[], status: number, pattern: RegExp): void => {
    const r = tsbpf(...args);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  failure(["struct_ops", "show", "id"], 2, /missing struct_ops map id/);
  failure(["struct_ops", "show", "tag", "x"], 2, /expected 'id' or 'name'/);
  failure(["struct_ops", "show", "id", "0"], 2, /invalid id 0/);
  failure(["struct_ops", "unregister"], 2, /missing STRUCT_OPS_MAP/);
  failure(["struct_ops", "show", "id", "4294967295"], 1, /can't get map by id \(4294967295\): No such file or directory/);
  failure(["struct_ops", "show", "name", "tsbpf_no_such_ops"], 1, /no struct_ops found for tsbpf_no_such_ops/);
  failure(["struct_ops", "unregister", "name", "tsbpf_no_such_ops"], 1, /no struct_ops found for tsbpf_no_such_ops/);
  failure(["struct_ops", "register", fileURLToPath(new URL("../../../test/fixtures/cli-link/iter.bpf.o", import.meta.url))], 1, /no struct_ops found in/);
  failure(["struct_ops", "register", "/nonexistent.bpf.o"], 1, /nonexistent/);
  // A map of another type, selected by id.
  using other = counterMap(1, "tsbpf_not_ops");
  const id = other.info().id;
  failure(["struct_ops", "dump", "id", String(id)], 1, new RegExp(`tsbpf_not_ops id ${id} is not a struct_ops map`));
});
