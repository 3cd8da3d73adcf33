import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { HELPER_NAMES, helperId, helperName } from "../../src/asm/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { haveBpftool } from "../util/kernel.js";
import { missingOracle, requireOracle, skipFor } from "../util/environment.js";

/** enum bpf_func_id of the running kernel, read by bpftool (an independent BTF reader). */
function kernelHelpers(): Map<number, string> | undefined {
  if (!haveBpftool() || !existsSync("/sys/kernel/btf/vmlinux")) return undefined;
  const raw = execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const lines = raw.split("\n");
  const start = lines.findIndex((l) => l.includes("ENUM 'bpf_func_id'"));
  if (start < 0) return undefined;
  const ids = new Map<number, string>();
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith("["); i++) {
    const m = /'BPF_FUNC_(\w+)' val=(\d+)/.exec(lines[i]!);
    if (m) ids.set(Number(m[2]), m[1]!);
  }
  return ids;
}

test("the generated helper table agrees with the running kernel's enum bpf_func_id", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const kernel = kernelHelpers();
  if (!kernel) return skipFor(t, "kernel lacks a BTF type", "bpf_func_id");
  for (const [id, name] of kernel) {
    if (id < HELPER_NAMES.length) assert.equal(HELPER_NAMES[id], name, `helper ${id}`);
  }
  const newest = Math.max(...kernel.keys());
  if (newest >= HELPER_NAMES.length) {
    return skipFor(t, "kernel newer than generated tables", `the running kernel knows helpers up to ${newest}; rerun node dist/scripts/gen-helpers.js`);
  }
});

test("the generated helper table agrees with the installed uapi header", (t) => {
  const header = "/usr/include/linux/bpf.h";
  if (!existsSync(header)) return missingOracle(t, "uapi headers", header);
  const text = readFileSync(header, "utf8");
  const body = text.slice(text.search(/#define ___?BPF_FUNC_MAPPER/));
  let id = 0;
  let checked = 0;
  const macro: string[] = [];
  for (const line of body.split("\n")) {
    macro.push(line);
    if (!line.trimEnd().endsWith("\\")) break;
  }
  for (const m of macro.join("\n").matchAll(/FN\((\w+)(?:,\s*(\d+))?/g)) {
    id = m[2] === undefined ? id : Number(m[2]);
    assert.equal(HELPER_NAMES[id], m[1], `helper ${id}`);
    id++;
    checked++;
  }
  assert.ok(checked > 100, `only ${checked} helpers found in ${header}`);
});

test("helperId and helperName", () => {
  assert.equal(helperName(1), "map_lookup_elem");
  assert.equal(helperName(12), "tail_call");
  assert.equal(helperName(100000), undefined);
  assert.equal(helperId("bpf_ringbuf_output"), HELPER_NAMES.indexOf("ringbuf_output"));
  assert.equal(helperId("BPF_FUNC_ktime_get_ns"), 5);
  assert.equal(helperId(7), 7);
  assert.throws(() => helperId("nope"), InvalidArgumentError);
  assert.throws(() => helperId(-1), InvalidArgumentError);
});
