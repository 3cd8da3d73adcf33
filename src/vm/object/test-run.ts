// testRun in the machine: the same options and result as Program.testRun
// (BPF_PROG_TEST_RUN), with the context each program type gets from the
// kernel's test run: xdp_md over a frame for XDP, __sk_buff for tc, socket
// filters, cgroup skb and lwt programs, the raw bytes of ctx for the rest
// (raw tracepoint and tracing arguments, syscall arguments, or a tracepoint
// record — types the kernel cannot test-run, which the machine runs anyway).
import { NoSpaceError, InvalidArgumentError, NotSupportedError } from "../../sys/errors.js";
import type { TestRunOptions, TestRunResult } from "../../program/test-run.js";
import { checkCount, DEFAULT_DATA_OUT_SLACK } from "../../program/test-run-limits.js";
import { ProgramType, TestRunFlags } from "../../program/types.js";
import { skbRun } from "../context/skb.js";
import { xdpRun } from "../context/xdp.js";
import type { VmKernel } from "../kernel/state.js";
import type { Engine, Machine } from "../machine.js";
import type { Region } from "../memory.js";
import type { VmProgram } from "../program.js";

/** Options of a test run in the machine: Program.testRun's, plus the engine and budget. */
export interface VmTestRunOptions extends TestRunOptions {
  /** "interpreter" (default) or "jit". */
  engine?: Engine;
  /** Instruction budget of each run. */
  budget?: number;
}

/** What a test run in the machine produced: Program.testRun's result, plus the instruction count. */
export interface VmTestRunResult extends TestRunResult {
  /** Instructions the last run executed. */
  instructions: number;
}

// Types whose kernel test run copies the context out (see src/program/test-run.ts).
const SKB_L2 = new Set<number>([ProgramType.SchedCls, ProgramType.SchedAct, ProgramType.LwtXmit]);
const SKB_L3 = new Set<number>([ProgramType.SocketFilter, ProgramType.CgroupSKB, ProgramType.LwtIn, ProgramType.LwtOut, ProgramType.LwtSeg6Local]);
const WRITABLE_CTX = new Set<number>([ProgramType.Syscall]);

interface Prepared {
  ctx: Region | undefined;
  packet: Region | undefined;
  dataOut: (() => Uint8Array) | undefined;
  ctxOut: (() => Uint8Array) | undefined;
  release(): void;
}

/** Runs `program` (of `type`) the way BPF_PROG_TEST_RUN would. */
export function testRun(machine: Machine, kernel: VmKernel, type: ProgramType, program: VmProgram, options: VmTestRunOptions = {}): VmTestRunResult {
  const flags = options.flags ?? 0;
  if (flags & TestRunFlags.XDP_LIVE_FRAMES) throw new NotSupportedError("test run: XDP live frames (BPF_F_TEST_XDP_LIVE_FRAMES) send packets to a device; the machine has none");
  const repeat = checkCount(options.repeat ?? 0, "repeat");
  const prepared = prepare(machine, kernel, type, options);
  const savedCpu = kernel.cpu;
  if (options.cpu !== undefined) {
    const cpu = checkCount(options.cpu, "cpu");
    if (cpu >= kernel.cpus) throw new InvalidArgumentError(`test run: cpu ${cpu} does not exist (the machine has ${kernel.cpus})`, "cpu");
    kernel.cpu = cpu;
  }
  try {
    const runs = Math.max(repeat, 1);
    let r0 = 0n;
    let instructions = 0;
    const started = now();
    for (let i = 0; i < runs; i++) {
      const run = machine.run(program, {
        args: [prepared.ctx?.base ?? 0n],
        ...(options.engine === undefined ? {} : { engine: options.engine }),
        ...(options.budget === undefined ? {} : { budget: options.budget }),
        ...(prepared.packet === undefined ? {} : { packet: prepared.packet }),
      });
      r0 = run.r0;
      instructions = run.instructions;
    }
    const duration = Math.round(((now() - started) * 1e6) / runs);
    return {
      retval: Number(r0 & 0xffff_ffffn),
      duration,
      dataOut: output(prepared.dataOut, options.dataOut, options.dataOutSize ?? (options.data ? options.data.byteLength + DEFAULT_DATA_OUT_SLACK : 0), "data"),
      ctxOut: output(prepared.ctxOut, options.ctxOut, options.ctxOutSize ?? (options.ctx && prepared.ctxOut ? options.ctx.byteLength : 0), "ctx"),
      instructions,
    };
  } finally {
    kernel.cpu = savedCpu;
    prepared.release();
  }
}

function prepare(machine: Machine, kernel: VmKernel, type: ProgramType, options: VmTestRunOptions): Prepared {
  const memory = machine.memory;
  if (type === ProgramType.XDP) {
    const run = xdpRun(memory, options.data, options.ctx);
    kernel.packet = run.packet;
    return {
      ctx: run.ctx, packet: undefined, dataOut: run.dataOut, ctxOut: run.ctxOut,
      release: () => { kernel.packet = undefined; memory.unmap(run.ctx); memory.unmap(run.packet.region); },
    };
  }
  if (SKB_L2.has(type) || SKB_L3.has(type)) {
    const run = skbRun(memory, options.data, options.ctx, SKB_L2.has(type));
    kernel.packet = run.packet;
    return {
      ctx: run.ctx, packet: run.packet.region, dataOut: run.dataOut, ctxOut: run.ctxOut,
      release: () => { kernel.packet = undefined; memory.unmap(run.ctx); memory.unmap(run.packet.region); },
    };
  }
  if (options.data && options.data.byteLength > 0) throw new InvalidArgumentError(`test run: a ${ProgramType[type] ?? type} program takes no packet data, only ctx`, "data");
  if (!options.ctx || options.ctx.byteLength === 0) {
    return { ctx: undefined, packet: undefined, dataOut: undefined, ctxOut: undefined, release: () => undefined };
  }
  // A syscall program's context is its argument struct, updated in place as the kernel copies it back.
  const bytes = WRITABLE_CTX.has(type) ? options.ctx : options.ctx.slice();
  const ctx = memory.map("context", bytes, { writable: WRITABLE_CTX.has(type) });
  return { ctx, packet: undefined, dataOut: undefined, ctxOut: undefined, release: () => memory.unmap(ctx) };
}

function output(make: (() => Uint8Array) | undefined, into: Uint8Array | undefined, size: number, which: "data" | "ctx"): Uint8Array | undefined {
  const capacity = into ? into.byteLength : checkCount(size, which === "data" ? "dataOutSize" : "ctxOutSize");
  if (!make || capacity === 0) return undefined;
  const bytes = make();
  if (bytes.byteLength > capacity) {
    throw new NoSpaceError(`test run: the output needs ${bytes.byteLength} bytes of ${which} out (given ${capacity}); pass a larger ${which}Out/${which}OutSize`);
  }
  if (!into) return bytes;
  into.set(bytes);
  return into.subarray(0, bytes.byteLength);
}

/** Milliseconds from a monotonic clock where the runtime has one (performance is a global in Node.js, Deno, Bun and browsers). */
function now(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}
