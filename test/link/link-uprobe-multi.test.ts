// attachUprobeMulti on the real kernel (BPF_TRACE_UPROBE_MULTI, Linux 6.6):
// one link counts calls to several functions of a C program built at test
// time (test/fixtures/usdt/multi-target.c), each function told apart by its
// bpf cookie; a glob pattern, symbols and raw offsets give the same sites;
// uretprobe.multi fires on return; SEC() names give the target; bad input
// is refused with typed errors and leaves nothing attached (bpftool).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BpfMap } from "../../src/map.js";
import { Program, ProgramType, AttachType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R10 } from "../../src/asm/index.js";
import { ElfFile } from "../../src/elf/index.js";
import { ElfError } from "../../src/elf/errors.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { LinkType } from "../../src/sys/link-info.js";
import { MULTI_RETURN } from "../../src/sys/attach-flags.js";
import { attachUprobeMulti, symbolFileOffset, uprobeMultiOfSection } from "../../src/link/index.js";
import { functionOffsetsMatching } from "../../src/link/elf-symbol-offset.js";
import { globMatch } from "../../src/link/glob.js";
import { counterMap, readCounter } from "../sys/sys-attach-helpers.js";
import { objdumpFunction } from "./uprobe-target.js";
import { missingOracle, requireOracle } from "../util/environment.js";

const SOURCE = fileURLToPath(new URL("../../../test/fixtures/usdt/multi-target.c", import.meta.url));
const FUNCTIONS = ["tsbpf_multi_a", "tsbpf_multi_b", "tsbpf_multi_c"] as const;

let dir: string | undefined;
let binary: string | undefined;
before(() => {
  if (spawnSync("cc", ["--version"]).status !== 0) return;
  dir = mkdtempSync(path.join(tmpdir(), "tsbpf-umulti-"));
  binary = path.join(dir, "multi-target");
  const r = spawnSync("cc", ["-O2", "-o", binary, SOURCE], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

/** counter[bpf_get_attach_cookie(ctx)] += 1 (cookies outside the map are not counted). */
function cookieCounter(map: BpfMap, sectionName?: string): Program {
  const insns = new ProgramBuilder()
    .call("get_attach_cookie")
    .stxW(R10, R0, -4)
    .mov64Reg(R2, R10).add64Imm(R2, -4)
    .ldMapFd(R1, map.fd)
    .call("map_lookup_elem")
    .jeqImm(R0, 0, "out")
    .mov64Imm(R1, 1)
    .atomicAdd64(R0, R1, 0)
    .label("out")
    .mov64Imm(R0, 0)
    .exit()
    .build();
  return Program.load({
    type: ProgramType.Kprobe, expectedAttachType: AttachType.TraceUprobeMulti, instructions: insns, license: "GPL", name: "tsbpf_umulti",
    ...(sectionName ? { sectionName } : {}),
  });
}

function run(...counts: number[]): number {
  const r = spawnSync(binary!, counts.map(String), { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.pid;
}

function counters(map: BpfMap, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => readCounter(map, i));
}

/** Link ids bpftool lists for a program id. */
function bpftoolLinks(progId: number): Array<{ id: number; type: string }> {
  const r = spawnSync("bpftool", ["-j", "link", "show"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ id: number; type: string; prog_id: number }>).filter((l) => l.prog_id === progId);
}

test("glob matching and pattern resolution agree with objdump", (t) => {
  assert.equal(globMatch("tsbpf_multi_a", "tsbpf_multi_*"), true);
  assert.equal(globMatch("tsbpf_multi_a", "tsbpf_multi_?"), true);
  assert.equal(globMatch("tsbpf_multi_ab", "tsbpf_multi_?"), false);
  assert.equal(globMatch("malloc", "*"), true);
  assert.equal(globMatch("", "*"), true);
  assert.equal(globMatch("abc", "a*c*"), true);
  assert.equal(globMatch("abd", "a*c"), false);
  assert.equal(globMatch("a".repeat(5000), `${"*a".repeat(50)}b`), false, "no exponential backtracking");
  if (!binary) return missingOracle(t, "cc", "to build the target program");
  if (!requireOracle(t, "objdump")) return;
  const elf = new ElfFile(readFileSync(binary));
  const found = functionOffsetsMatching(elf, binary, "tsbpf_multi_*");
  assert.deepEqual(found.map((f) => f.symbol.name).sort(), [...FUNCTIONS]);
  for (const f of found) assert.equal(f.offset, objdumpFunction(binary, f.symbol.name).fileOffset);
  assert.deepEqual(found.map((f) => f.offset), [...found.map((f) => f.offset)].sort((a, b) => a - b));
  assert.throws(() => functionOffsetsMatching(elf, binary!, "no_such_*"), (e) => e instanceof NotFoundError && /no_such_\*/.test(e.message));
});

test("one uprobe.multi link counts calls to three functions, told apart by cookies; close detaches", (t) => {
  if (!binary) return missingOracle(t, "cc", "to build the target program");
  if (!requireOracle(t, "bpftool")) return;
  using map = counterMap(4);
  using prog = cookieCounter(map);
  const link = attachUprobeMulti(prog, { binary, symbols: [...FUNCTIONS], cookies: [0n, 1n, 2n] });
  try {
    run(3, 5, 7);
    assert.deepEqual(counters(map, 4), [3n, 5n, 7n, 0n]);
    assert.equal(link.isBpfLink, true);
    assert.equal(link.target, `uprobe.multi ${binary}:${FUNCTIONS.join(",")}`);
    const info = link.info();
    assert.equal(info.type, LinkType.UPROBE_MULTI);
    assert.equal(info.uprobeMulti?.count, 3);
    assert.equal(info.uprobeMulti?.path, binary);
    assert.equal(info.uprobeMulti?.flags, 0);
    const listed = bpftoolLinks(prog.id);
    assert.deepEqual(listed.map((l) => l.id), [info.id]);
    // Debian's bpftool predates uprobe_multi links and prints their type as its number.
    assert.ok(listed[0]!.type === "uprobe_multi" || String(listed[0]!.type) === String(LinkType.UPROBE_MULTI), String(listed[0]!.type));
  } finally {
    link.close();
  }
  run(2, 2, 2);
  assert.deepEqual(counters(map, 4), [3n, 5n, 7n, 0n], "nothing counts after close");
  assert.deepEqual(bpftoolLinks(prog.id), [], "bpftool shows no link after close");
});

test("pattern, offsets and SEC(\"uretprobe.multi/PATH:PATTERN\") give the same sites; pid filters", (t) => {
  if (!binary) return missingOracle(t, "cc", "to build the target program");
  const elf = new ElfFile(readFileSync(binary));
  const offsets = FUNCTIONS.map((f) => symbolFileOffset(elf, binary!, f).offset);
  using map = counterMap(4);
  using prog = cookieCounter(map);
  {
    using link = attachUprobeMulti(prog, { binary, pattern: "tsbpf_multi_?" });
    assert.equal(link.info().uprobeMulti?.count, 3);
    run(1, 2, 3);
    assert.equal(readCounter(map, 0), 6n, "without cookies every call counts under cookie 0");
  }
  {
    using _link = attachUprobeMulti(prog, { binary, offsets: [offsets[2]!, offsets[0]!], cookies: [2n, 3n] });
    run(4, 9, 5);
    assert.deepEqual(counters(map, 4), [6n, 0n, 5n, 4n]);
  }
  using retMap = counterMap(4);
  using ret = cookieCounter(retMap, `uretprobe.multi/${binary}:tsbpf_multi_*`);
  {
    using link = attachUprobeMulti(ret);
    assert.equal(link.target, `uretprobe.multi ${binary}:tsbpf_multi_*`);
    assert.equal(link.info().uprobeMulti?.flags, MULTI_RETURN);
    run(2, 0, 1);
    assert.equal(readCounter(retMap, 0), 3n);
  }
  {
    // pid filter: only a process we name; a fresh run has another pid, so nothing counts.
    using _link = attachUprobeMulti(prog, { binary, symbols: ["tsbpf_multi_b"], cookies: [1n], pid: process.pid });
    run(0, 4, 0);
    assert.equal(readCounter(map, 1), 0n);
  }
  assert.deepEqual(uprobeMultiOfSection("uprobe.multi//usr/lib/libc.so.6:malloc*"), { retprobe: false, binary: "/usr/lib/libc.so.6", pattern: "malloc*" });
  assert.deepEqual(uprobeMultiOfSection("uretprobe.multi.s/libc.so.6:f?"), { retprobe: true, binary: "libc.so.6", pattern: "f?" });
  assert.equal(uprobeMultiOfSection("uprobe.multi"), undefined);
  assert.equal(uprobeMultiOfSection("uprobe//bin/x:f"), undefined);
});

test("bad input: typed errors that name the target, nothing left open or attached", (t) => {
  if (!binary) return missingOracle(t, "cc", "to build the target program");
  using map = counterMap(4);
  using prog = cookieCounter(map);
  using filter = Program.load({ type: ProgramType.SocketFilter, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  using plain = Program.load({ type: ProgramType.Kprobe, instructions: new ProgramBuilder().mov64Imm(R0, 0).exit().build(), license: "GPL" });
  const fds = readdirSync("/proc/self/fd").length;
  assert.throws(() => attachUprobeMulti(filter, { binary, pattern: "*" }), (e) => e instanceof InvalidArgumentError && /socket_filter/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary: "/nonexistent/tsbpf", pattern: "*" }), (e) => e instanceof NotFoundError && /\/nonexistent\/tsbpf/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary, pattern: "no_such_fn*" }), (e) => e instanceof NotFoundError && e.message.includes(binary!));
  assert.throws(() => attachUprobeMulti(prog, { binary, symbols: ["tsbpf_multi_a", "nope"] }), (e) => e instanceof NotFoundError && /nope/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary }), (e) => e instanceof InvalidArgumentError && /exactly one of/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary, pattern: "*", offsets: [1] }), InvalidArgumentError);
  assert.throws(() => attachUprobeMulti(prog, { binary, offsets: [-1] }), InvalidArgumentError);
  assert.throws(() => attachUprobeMulti(prog, { binary, symbols: ["tsbpf_multi_a"], cookies: [1n, 2n] }), (e) => e instanceof InvalidArgumentError && /cookies/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary, pattern: "*", pid: -3 }), (e) => e instanceof InvalidArgumentError && /pid/.test(e.message));
  assert.throws(() => attachUprobeMulti(prog, { binary: SOURCE, pattern: "*" }), ElfError);
  assert.throws(() => attachUprobeMulti(prog), (e) => e instanceof InvalidArgumentError && /give the binary/.test(e.message));
  // A plain kprobe program (not loaded for uprobe.multi): the kernel's EINVAL, named.
  assert.throws(() => attachUprobeMulti(plain, { binary, symbols: ["tsbpf_multi_a"] }), (e) => e instanceof InvalidArgumentError && /trace_uprobe_multi/.test(e.message));
  assert.equal(readdirSync("/proc/self/fd").length, fds, "no fd left behind");
  run(1, 1, 1);
  assert.deepEqual(counters(map, 4), [0n, 0n, 0n, 0n], "nothing attached");
});
