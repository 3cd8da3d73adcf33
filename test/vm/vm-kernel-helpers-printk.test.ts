// bpf_trace_printk / bpf_trace_vprintk with the kernel as the oracle: each
// format runs in an XDP program under BPF_PROG_TEST_RUN, with the line read
// from a private tracefs instance (events/bpf_trace/bpf_trace_printk enabled
// there only, so nothing else's output mixes in and the host's trace_pipe
// readers lose nothing), and in both engines of the machine; the return
// values and the printed lines must be equal. Covers every conversion the
// kernel accepts, flags and widths, strings from the stack and the packet,
// the staging buffer's cut, the 1024-byte output buffer, and the formats the
// kernel refuses. (%p and %pK are hashed by the kernel: only NULL compares.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { ProgramBuilder, R0, R1, R2, R3, R4, R5, R6, R7, R10, type Register } from "../../src/asm/index.js";
import { parseTraceLine } from "../../src/events/trace-pipe.js";
import { Program, ProgramType } from "../../src/program.js";
import { BpfMap, MapFlags, MapType } from "../../src/map.js";
import { findTracefs } from "../../src/sys/perf-event.js";
import { AddressSpace, kernelHelpers, Machine, VmKernel, VmProgram } from "../../src/vm/index.js";
import { packetWorld, storeBytes, XDP_MD } from "./vm-kernel-helpers-util.js";
import { EINVAL } from "../../src/sys/errno.js";

/** An argument: a number, the address of bytes placed on the stack, or of a packet offset. */
type Arg = bigint | number | { stack: Uint8Array } | { packet: number };

interface Case {
  fmt: string;
  args?: Arg[];
  /** Use bpf_trace_vprintk (args from an array) instead of bpf_trace_printk. */
  vprintk?: boolean;
  /** fmt_size when not the format's length + 1 (e.g. without its NUL). */
  fmtSize?: number;
  /** vprintk's data_len when not 8 × args. */
  dataLength?: number;
  packet?: Uint8Array;
}

const FMT_AT = -256;
const VARGS_AT = -352;
const STRINGS_AT = -512;

/** The program of a case: the format and its strings on the stack, the call, r0 out. */
function build(c: Case): ProgramBuilder {
  const fmt = new TextEncoder().encode(`${c.fmt}\0`);
  const b = new ProgramBuilder().mov64Reg(R6, R1).ldxW(R7, R6, XDP_MD.data);
  storeBytes(b, FMT_AT, fmt);
  let free = STRINGS_AT;
  const values = (c.args ?? []).map((arg) => {
    if (typeof arg === "object" && "stack" in arg) {
      storeBytes(b, free, arg.stack);
      const at = free;
      free += Math.ceil(arg.stack.byteLength / 8) * 8;
      return { stack: at };
    }
    return arg;
  });
  const load = (r: Register, v: (typeof values)[number]): void => {
    if (typeof v === "object" && "stack" in v) b.mov64Reg(r, R10).add64Imm(r, v.stack);
    else if (typeof v === "object") b.mov64Reg(r, R7).add64Imm(r, v.packet);
    else b.ldImm64(r, BigInt.asUintN(64, BigInt(v)));
  };
  const fmtSize = c.fmtSize ?? fmt.byteLength;
  if (c.vprintk) {
    values.forEach((v, i) => { load(R1, v); b.stxDW(R10, R1, VARGS_AT + 8 * i); });
    b.mov64Reg(R1, R10).add64Imm(R1, FMT_AT).mov64Imm(R2, fmtSize).mov64Reg(R3, R10).add64Imm(R3, VARGS_AT).mov64Imm(R4, c.dataLength ?? 8 * values.length).call("trace_vprintk");
  } else {
    [R3, R4, R5].forEach((r, i) => load(r, values[i] ?? 0));
    b.mov64Reg(R1, R10).add64Imm(R1, FMT_AT).mov64Imm(R2, fmtSize).call("trace_printk");
  }
  return b.exit();
}

/** The bpf_trace_printk lines of a tracefs instance's buffer, as the machine records them (one trailing newline dropped). */
function traceLines(instance: string): string[] {
  const lines = readFileSync(`${instance}/trace`, "utf8").split("\n");
  lines.pop();
  const events: string[] = [];
  for (const line of lines) {
    if (line.startsWith("#")) continue;
    const parsed = parseTraceLine(line);
    if (parsed?.event === "bpf_trace_printk") events.push(parsed.message);
    else if (events.length > 0) events[events.length - 1] += `\n${line}`;
  }
  return events.map((e) => (e.endsWith("\n") ? e.slice(0, -1) : e));
}

const text = (s: string): { stack: Uint8Array } => ({ stack: new TextEncoder().encode(`${s}\0`) });
const bytes = (...b: number[]): { stack: Uint8Array } => ({ stack: new Uint8Array(b) });
const longPacket = new Uint8Array(1200).fill(0x61);
longPacket[1100] = 0;

const CASES: Case[] = [
  { fmt: "plain text\n" },
  { fmt: "no newline" },
  { fmt: "  leading spaces, tab\there" },
  { fmt: "%d|%u|%x", args: [-5, -5, 255] },
  { fmt: "%i|%X|%x", args: [0x8000_0000, 0xabcdef, 0x1_0000_0001n] },
  { fmt: "%ld|%lld|%lu", args: [-1, -2n, -3n] },
  { fmt: "%llx|%lX|%llu", args: [0xfedc_ba98_7654_3210n, 0x1234_5678_9abc_def0n, 1n << 63n] },
  { fmt: "[%5d][%-5d][%05d]", args: [42, -42, -42] },
  { fmt: "[%+d][% d][%+u]", args: [5, 5, 5] },
  { fmt: "[%+05d][%-+5d][% 5ld]", args: [-7, 7, -7] },
  { fmt: "[%8x][%-8X][%08llx]", args: [0xbeef, 0xbeef, 0xbeefn] },
  { fmt: "%c%c%c", args: [0x41, 0x7a, 0x21] },
  { fmt: "[%5c][%-3c][%c]", args: [0x78, 0x79, 0x100 + 0x7a] },
  { fmt: "%c|%c|after", args: [0x41, 0] },
  { fmt: "[%s] [%10s] [%-10s]", args: [text("abc"), text("right"), text("left")] },
  { fmt: "[%s]", args: [0] },
  { fmt: "[%s][%s]", args: [text(""), { packet: 0 }], packet: new TextEncoder().encode("from the packet\0 and more") },
  { fmt: "%pks|%pus|%s.", args: [text("kernel"), text("user"), text("end")] },
  { fmt: "%px|%p|%pK", args: [0x1234, 0, 0] },
  { fmt: "[%20px]", args: [0xabc] },
  { fmt: "%pI4 %pi4", args: [bytes(192, 168, 0, 1), bytes(10, 0, 0, 7)] },
  { fmt: "%pI6", args: [bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)] },
  { fmt: "%pi6|%pI4", args: [bytes(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef), 0] },
  { fmt: "100%% %d%%", args: [3] },
  { fmt: "%1000d|", args: [1] },
  { fmt: "%2000d|cut", args: [2] },
  { fmt: "%s", args: [{ packet: 0 }], packet: longPacket },
  { fmt: "%s|%s|%d", args: [{ packet: 0 }, { packet: 600 }, 9], packet: longPacket },
  { fmt: "%s|%s|%d", args: [{ packet: 900 }, { packet: 0 }, 9], packet: longPacket },
  // Formats the kernel refuses: -EINVAL, nothing printed.
  { fmt: "%d %d %d %d", args: [1, 2, 3] },
  { fmt: "%q", args: [1] },
  { fmt: "%.2d", args: [1] },
  { fmt: "%hd", args: [1] },
  { fmt: "%lp", args: [1] },
  { fmt: "%sx", args: [text("a")] },
  { fmt: "%pZ", args: [1] },
  { fmt: "bell\x07", args: [] },
  { fmt: "trailing %", args: [] },
  { fmt: "no NUL", fmtSize: 6 },
  // bpf_trace_vprintk: up to 12 arguments, data_len a multiple of 8.
  { fmt: "%d %d %d %d %d %d %d %d %d %d %d %d", vprintk: true, args: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12] },
  { fmt: "%s-%s", vprintk: true, args: [text("v"), text("printk")] },
  { fmt: "%d %d", vprintk: true, args: [1] },
  { fmt: "%d", vprintk: true, args: [1], dataLength: 4 },
  { fmt: "none", vprintk: true, args: [] },
];

test("bpf_trace_printk and bpf_trace_vprintk print what the kernel prints and return what it returns", (t) => {
  const tracefs = findTracefs();
  assert.ok(tracefs !== undefined, "tracefs is needed to read the kernel's bpf_printk output");
  const instance = `${tracefs}/instances/tsbpf-vm-printk-${process.pid}`;
  mkdirSync(instance);
  t.after(() => {
    writeFileSync(`${instance}/events/bpf_trace/bpf_trace_printk/enable`, "0");
    rmdirSync(instance);
  });
  writeFileSync(`${instance}/events/bpf_trace/bpf_trace_printk/enable`, "1");
  let printed = 0;
  for (const c of CASES) {
    const what = JSON.stringify(c.fmt);
    const b = build(c);
    const data = c.packet ?? new Uint8Array(64);
    writeFileSync(`${instance}/trace`, "");
    let expected: { r0: number; lines: string[] };
    {
      using prog = Program.load({ type: ProgramType.XDP, instructions: b.build(), license: "GPL", name: "vm_printk" });
      const retval = prog.testRun({ data }).retval | 0;
      expected = { r0: retval, lines: traceLines(instance) };
    }
    for (const engine of ["interpreter", "jit"] as const) {
      const { world, ctx } = packetWorld("xdp", data);
      world.kernel.userMemory = new AddressSpace(); // a kernel address is no user address
      const r0 = Number(BigInt.asIntN(32, world.machine.run(world.program(b), { engine, args: [ctx.base] }).r0));
      assert.deepEqual({ r0, lines: world.kernel.trace.map((l) => l.text) }, expected, `${what} [${engine}]`);
    }
    printed += expected.lines.length;
  }
  assert.ok(printed >= 25, `the kernel printed ${printed} lines`);
});

test("each trace line records the slot of its call", () => {
  const kernel = new VmKernel();
  const machine = new Machine({ helpers: kernelHelpers(kernel) });
  const b = storeBytes(new ProgramBuilder(), -8, new TextEncoder().encode("one\0"));
  const slots: number[] = [];
  for (let i = 0; i < 2; i++) {
    b.mov64Reg(R1, R10).add64Imm(R1, -8).mov64Imm(R2, 4);
    slots.push(b.instructions().length);
    b.call("trace_printk");
  }
  machine.run(new VmProgram(b.exit().instructions()));
  assert.deepEqual(kernel.trace, slots.map((index) => ({ text: "one", index })));
});

interface SnprintfCase {
  fmt: string;
  args: Arg[];
  /** str_size; 0 passes a NULL buffer. */
  size: number;
}

const SNPRINTF_OUT = -128;
const SNPRINTF_OUT_SIZE = 100;
const SNPRINTF_ARGS = -192;
const SNPRINTF_STRINGS = -256;

/** snprintf(fp-128, size, fmt in a read-only map, args, 8 × n); the buffer is copied into the packet; r0 = the result. */
function buildSnprintf(c: SnprintfCase, fmtMapFd: number): ProgramBuilder {
  const b = new ProgramBuilder().mov64Reg(R6, R1);
  for (let i = 0; i < SNPRINTF_OUT_SIZE; i += 4) b.stW(R10, SNPRINTF_OUT + i, 0x5a5a5a5a);
  let free = SNPRINTF_STRINGS;
  c.args.forEach((arg, i) => {
    if (typeof arg === "object" && "stack" in arg) {
      storeBytes(b, free, arg.stack);
      b.mov64Reg(R1, R10).add64Imm(R1, free);
      free += Math.ceil(arg.stack.byteLength / 8) * 8;
    } else if (typeof arg === "object") {
      throw new Error("no packet strings here");
    } else {
      b.ldImm64(R1, BigInt.asUintN(64, BigInt(arg)));
    }
    b.stxDW(R10, R1, SNPRINTF_ARGS + 8 * i);
  });
  if (c.size === 0) b.mov64Imm(R1, 0);
  else b.mov64Reg(R1, R10).add64Imm(R1, SNPRINTF_OUT);
  b.mov64Imm(R2, c.size).ldMapValue(R3, fmtMapFd, 0).mov64Reg(R4, R10).add64Imm(R4, SNPRINTF_ARGS).mov64Imm(R5, 8 * c.args.length).call("snprintf").mov64Reg(R7, R0)
    .mov64Reg(R1, R6).mov64Imm(R2, 0).mov64Reg(R3, R10).add64Imm(R3, SNPRINTF_OUT).mov64Imm(R4, SNPRINTF_OUT_SIZE).call("xdp_store_bytes")
    .mov64Reg(R0, R7);
  return b.exit();
}

const SNPRINTF_CASES: SnprintfCase[] = [
  { fmt: "%d-%s!", args: [-5, text("five")], size: 100 },
  { fmt: "%d-%s!", args: [-5, text("five")], size: 5 },
  { fmt: "%d-%s!", args: [-5, text("five")], size: 1 },
  { fmt: "%d-%s!", args: [-5, text("five")], size: 0 },
  { fmt: "[%08llx][%-4c]", args: [0xabcn, 0x71], size: 100 },
  { fmt: "%pI4", args: [bytes(127, 0, 0, 1)], size: 100 },
  { fmt: "%d %d %d %d %d %d %d %d %d %d %d %d", args: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], size: 100 },
  { fmt: "no args", args: [], size: 100 },
];

test("bpf_snprintf writes and returns what the kernel's does (fmt a constant string in a read-only map)", () => {
  for (const c of SNPRINTF_CASES) {
    const fmt = new TextEncoder().encode(`${c.fmt}\0`);
    const value = new Uint8Array(128);
    value.set(fmt);
    const spec = { type: MapType.Array, keySize: 4, valueSize: value.byteLength, maxEntries: 1, flags: MapFlags.RDONLY_PROG, name: "fmt" };
    let expected: { r0: number; out: number[] };
    {
      using map = BpfMap.create(spec);
      map.update(new Uint8Array(4), value);
      map.freeze();
      using prog = Program.load({ type: ProgramType.XDP, instructions: buildSnprintf(c, map.fd.raw).build(), license: "GPL", name: "vm_snprintf" });
      const r = prog.testRun({ data: new Uint8Array(SNPRINTF_OUT_SIZE) });
      expected = { r0: r.retval | 0, out: [...(r.dataOut ?? [])] };
    }
    for (const engine of ["interpreter", "jit"] as const) {
      const { world, ctx, packet } = packetWorld("xdp", new Uint8Array(SNPRINTF_OUT_SIZE));
      const { map, fd } = world.map(spec);
      map.update(new Uint8Array(4), value);
      const r0 = Number(BigInt.asIntN(32, world.machine.run(world.program(buildSnprintf(c, fd)), { engine, args: [ctx.base] }).r0));
      assert.deepEqual({ r0, out: [...packet.bytes] }, expected, `${JSON.stringify(c.fmt)} size ${c.size} [${engine}]`);
    }
  }
});

test("bpf_snprintf with a format the verifier would refuse returns -EINVAL and writes nothing", () => {
  // The kernel checks snprintf's constant format at load time, so only the machine can run these.
  for (const c of [{ fmt: "%d %d", args: [1], size: 100 }, { fmt: "%y", args: [1], size: 100 }] satisfies SnprintfCase[]) {
    const { world, ctx, packet } = packetWorld("xdp", new Uint8Array(SNPRINTF_OUT_SIZE));
    const value = new Uint8Array(128);
    value.set(new TextEncoder().encode(`${c.fmt}\0`));
    const { map, fd } = world.map({ type: MapType.Array, keySize: 4, valueSize: value.byteLength, maxEntries: 1, flags: MapFlags.RDONLY_PROG });
    map.update(new Uint8Array(4), value);
    const r0 = world.machine.run(world.program(buildSnprintf(c, fd)), { args: [ctx.base] }).r0;
    assert.equal(BigInt.asIntN(64, r0), BigInt(-EINVAL), c.fmt);
    assert.deepEqual([...packet.bytes], Array<number>(SNPRINTF_OUT_SIZE).fill(0x5a));
  }
});
