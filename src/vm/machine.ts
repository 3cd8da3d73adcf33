// The machine a program runs on: an address space with one 512-byte stack
// region per call depth, a helper table, a budget, and a choice of engine.
// run() sets r1–r5, points r10 at the top of frame 0's stack and returns r0;
// anything that goes wrong inside comes out as a VmFaultError, VmLimitError
// or VmUnknownHelperError (a helper's own typed error passes through), never
// a raw JS exception.
import { BpfError, InvalidArgumentError } from "../sys/errors.js";
import { VmLimitError } from "./errors.js";
import { helpersById, type VmHelper, type VmHelperTable } from "./helpers.js";
import { interpret, MAY_GOTO_LOOPS, STACK_SIZE, type Execution } from "./interpreter.js";
import { runCompiled } from "./jit.js";
import { AddressSpace, type Region } from "./memory.js";
import type { VmProgram } from "./program.js";
import { HI, LO, Registers } from "./registers.js";

/** Default instruction budget of one run. */
export const DEFAULT_BUDGET = 10_000_000;
/** Default maximum call depth (the kernel's MAX_CALL_FRAMES). */
export const DEFAULT_MAX_CALL_DEPTH = 8;

/** Options of {@link Machine}. */
export interface MachineOptions {
  /** Helpers the programs may call, by id or name. */
  helpers?: VmHelperTable;
  /** Instructions one run may execute before it is stopped (default 10,000,000). */
  budget?: number;
  /** Frames of bpf-to-bpf calls and callbacks, the entry frame included (default 8). */
  maxCallDepth?: number;
}

/** How a program is executed: instruction by instruction, or compiled to JavaScript once and cached. */
export type Engine = "interpreter" | "jit";

/** Options of one {@link Machine.run}. */
export interface RunOptions {
  /** Default "interpreter"; "jit" compiles the program to JavaScript on its first run (cached per VmProgram). */
  engine?: Engine;
  /** r1–r5 at entry (default 0). Numbers must be safe integers. */
  args?: readonly (bigint | number)[];
  /** Overrides the machine's budget for this run. */
  budget?: number;
  /** The packet legacy BPF_ABS/BPF_IND loads read (socket filters). */
  packet?: Region;
}

/** What a run produced. */
export interface RunResult {
  /** r0 at exit, unsigned 64-bit. */
  readonly r0: bigint;
  /** Instructions executed. */
  readonly instructions: number;
}

/** A user-space BPF machine: memory, stacks, helpers; runs VmPrograms. */
export class Machine {
  /** The address space: map the context, packet and test memory here. */
  readonly memory = new AddressSpace();
  private readonly stacks: Region[];
  private readonly helpers: Map<number, VmHelper>;
  private readonly budget: number;

  constructor(options: MachineOptions = {}) {
    this.helpers = helpersById(options.helpers);
    this.budget = options.budget ?? DEFAULT_BUDGET;
    const depth = options.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH;
    // One buffer behind every frame's region, so a run zeroes them all with one fill.
    this.stackBytes = new Uint8Array(depth * STACK_SIZE);
    this.stacks = Array.from({ length: depth }, (_, i) => this.memory.map(`stack frame ${i}`, this.stackBytes.subarray(i * STACK_SIZE, (i + 1) * STACK_SIZE)));
  }

  private readonly stackBytes: Uint8Array;

  /** Adds or replaces a helper. */
  setHelper(idOrName: number | string, fn: VmHelper): void {
    for (const [id, f] of helpersById({ [idOrName]: fn })) this.helpers.set(id, f);
  }

  /**
   * The register file of the next run, reused: allocating one (a buffer and
   * four typed-array views) and writing r1–r5 as bigints cost about 1 µs a
   * run, as much as 2,000 instructions of JIT code. Undefined while a run
   * holds it, so a run started from inside another (a helper running the
   * machine again) gets a fresh one.
   */
  #spareRegisters: Registers | undefined = new Registers();

  /** Runs `program` from its first instruction. */
  run(program: VmProgram, options: RunOptions = {}): RunResult {
    const args = options.args ?? [];
    if (args.length > 5) throw new InvalidArgumentError(`vm run: at most 5 arguments (r1–r5), got ${args.length}`, "args");
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === "number" && !Number.isSafeInteger(a)) throw new InvalidArgumentError(`vm run: argument r${i + 1} must be a safe integer or a bigint, got ${a}`, "args");
    }
    const regs = this.#spareRegisters ?? new Registers();
    this.#spareRegisters = undefined;
    try {
      regs.u32.fill(0);
      for (let i = 0; i < args.length; i++) setArgument(regs, i + 1, args[i] as bigint | number);
      this.stackBytes.fill(0);
      const stack = this.stacks[0] as Region;
      regs.u32[2 * 10 + LO] = stack.start + STACK_SIZE;
      regs.u32[2 * 10 + HI] = stack.window;
      const budget = options.budget ?? this.budget;
      const ex: Execution = {
        program, regs, memory: this.memory, stacks: this.stacks, helpers: this.helpers, packet: options.packet,
        remaining: budget, mayGoto: MAY_GOTO_LOOPS, depth: 0, tailCalls: 0, pendingTailCall: undefined, enter: options.engine === "jit" ? runCompiled : interpret,
      };
      const r0 = guard(() => ex.enter(ex, 0));
      return { r0, instructions: budget - Math.max(ex.remaining, 0) };
    } finally {
      this.#spareRegisters = regs;
    }
  }
}

/** Sets register r to an argument: numbers in [0, 2^32) through the 32-bit halves (no bigint), others as u64. */
function setArgument(regs: Registers, r: number, a: bigint | number): void {
  if (typeof a === "number" && a >= 0 && a <= 0xffff_ffff) regs.u32[2 * r + LO] = a;
  else regs.u64[r] = BigInt(a);
}

/** Typed errors pass; a JS error from inside (a helper bug, a JS stack overflow) becomes a typed one. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) throw e;
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new VmLimitError("call-depth", -1, "the JavaScript call stack overflowed");
    throw new VmHelperError(e);
  }
}

/** A helper threw something that is not a BpfError; `cause` holds it. */
export class VmHelperError extends BpfError {
  constructor(cause: unknown) {
    super("VM_FAULT", `a helper failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
