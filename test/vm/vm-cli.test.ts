// `tsbpf vm exec` speaks the bpf_conformance plugin protocol: the program as
// hex bytes on stdin, the memory as the first argument, r0 in lowercase hex
// (no prefix) on stdout with exit 0; an invalid program or a fault on stderr
// with a non-zero exit and nothing on stdout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ProgramBuilder, R0, R1, R2 } from "../../src/asm/index.js";
import { CLI } from "../util/cli.js";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

function exec(program: Uint8Array | string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const input = typeof program === "string" ? program : `${hex(program)}\n`;
  const r = spawnSync(process.execPath, [CLI, "vm", "exec", ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const engines = [[], ["--interpreter"], ["--jit"]] as const;

test("vm exec prints r0 in lowercase hex without a prefix and exits 0", () => {
  for (const engine of engines) {
    assert.deepEqual(exec(new ProgramBuilder().mov64Imm(R0, 42).exit().build(), ...engine), { status: 0, stdout: "2a\n", stderr: "" });
    assert.deepEqual(exec(new ProgramBuilder().mov64Imm(R0, -1).exit().build(), ...engine), { status: 0, stdout: "ffffffffffffffff\n", stderr: "" });
    assert.deepEqual(exec(new ProgramBuilder().mov64Imm(R0, 0).exit().build(), ...engine), { status: 0, stdout: "0\n", stderr: "" });
  }
});

test("vm exec: r1 points at the memory argument, r2 is its length", () => {
  const load = new ProgramBuilder().ldxW(R0, R1, 0).exit().build();
  for (const engine of engines) {
    assert.equal(exec(load, "01 02 03 04", ...engine).stdout, "4030201\n");
    assert.equal(exec(new ProgramBuilder().mov64Reg(R0, R2).exit().build(), "aa bb cc", ...engine).stdout, "3\n");
    // The program may write the memory.
    const store = new ProgramBuilder().stB(R1, 1, 0x7f).ldxH(R0, R1, 0).exit().build();
    assert.equal(exec(store, "ff 00", ...engine).stdout, "7fff\n");
  }
  // No memory: r2 = 0.
  assert.equal(exec(new ProgramBuilder().mov64Reg(R0, R2).exit().build()).stdout, "0\n");
  // Input spelled across lines and with 0x prefixes is accepted.
  assert.equal(exec("0xb7 0x00 0 0 0x05 0 0 0\n95 00 00 00\n00 00 00 00\n").stdout, "5\n");
});

test("vm exec: a fault or an invalid program goes to stderr with a non-zero exit", () => {
  for (const engine of engines) {
    const fault = exec(new ProgramBuilder().ldxDW(R0, R1, 0).exit().build(), "01 02", ...engine);
    assert.notEqual(fault.status, 0);
    assert.equal(fault.stdout, "");
    assert.match(fault.stderr, /instruction 0: read of 8 bytes at 0x[0-9a-f]+: out of bounds of memory/);
    const invalid = exec("b7 00 00 00 2a 00 00 00\n", ...engine);
    assert.notEqual(invalid.status, 0);
    assert.equal(invalid.stdout, "");
    assert.match(invalid.stderr, /fall off the end/);
  }
  const notHex = exec("zz\n");
  assert.notEqual(notHex.status, 0);
  assert.match(notHex.stderr, /not a hex byte/);
});
