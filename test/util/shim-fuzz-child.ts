// Fuzzes the native shim's entry points with wrong types, counts and values,
// in a child process so that a crash (segfault, abort) is seen by the parent
// test as a failure. Before each call the case is written to a log file, so
// the last line of the log names the input that crashed.
//
// Usage: node --expose-gc shim-fuzz-child.js LOG CASES SEED [CRASH_AT]
// Prints one JSON summary line on success; exits 1 when a call threw
// something other than the shim's TypeError/RangeError or returned a value
// of the wrong type; with CRASH_AT it kills itself with SIGSEGV at that case
// (to prove the parent detects crashes).
import { closeSync, openSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { nativeAddonBuildPath, NATIVE_ARGUMENT_ERROR_CODE } from "../../src/sys/native.js";

type Fn = (...args: unknown[]) => unknown;
type Shim = Record<"syscall" | "bpf" | "address" | "mmap" | "munmap" | "watch" | "unwatch", Fn>;

const [logPath, casesArg, seedArg, crashAtArg] = process.argv.slice(2);
if (!logPath) throw new Error("usage: shim-fuzz-child LOG CASES SEED [CRASH_AT]");
const totalCases = Number(casesArg ?? 20000);
const crashAt = crashAtArg === undefined ? -1 : Number(crashAtArg);
// TSBPF_FUZZ_ADDON: fuzz another build of the shim (e.g. an older one, to see the fuzz find its bugs).
const shim = createRequire(import.meta.url)(process.env.TSBPF_FUZZ_ADDON ?? nativeAddonBuildPath()) as Shim;
const gc = (globalThis as { gc?: () => void }).gc;
const log = openSync(logPath, "w");

// ---- deterministic randomness ------------------------------------------------
let state = (Number(seedArg ?? 1) >>> 0) || 1;
function rand(n: number): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}
function pick<T>(xs: readonly T[]): T {
  return xs[rand(xs.length)] as T;
}

// ---- values ------------------------------------------------------------------
function detachedBuffer(): ArrayBuffer {
  const ab = new ArrayBuffer(16);
  structuredClone(ab, { transfer: [ab] });
  return ab;
}
function detachedView(): Uint8Array {
  const ab = new ArrayBuffer(16);
  const view = new Uint8Array(ab, 4, 8);
  structuredClone(ab, { transfer: [ab] });
  return view;
}

const file = openSync("/proc/self/exe", "r");
const [pipeRead, pipeWrite] = makePipe();
const closedFd = openSync("/dev/null", "r");
closeSync(closedFd);

function makePipe(): [number, number] {
  // A pipe through pipe2(2) via the shim itself (x86-64: 293, arm64: 59), into a stable buffer.
  const fds = new Int32Array(2);
  const nr = process.arch === "arm64" ? 59 : 293;
  const r = shim.syscall(nr, fds, 0o2000000) as number;
  if (r !== 0) throw new Error(`pipe2 failed: ${r}`);
  return [fds[0]!, fds[1]!];
}

// Live and spent objects of the shim itself, refreshed as the fuzz runs.
const mappings: ArrayBuffer[] = [];
const handles: object[] = [];
function freshMapping(): ArrayBuffer | undefined {
  const m = shim.mmap(file, 4096, 1, 2, 0);
  if (typeof m === "number") return undefined;
  mappings.push(m as ArrayBuffer);
  return m as ArrayBuffer;
}
function freshHandle(): object | undefined {
  const h = shim.watch(pipeRead, 1, () => undefined);
  if (typeof h !== "object" || h === null) return undefined;
  handles.push(h);
  return h;
}

const numbers = [
  -0, 0.5, -1, -1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63), Number.MAX_VALUE,
  Number.MIN_VALUE, Number.EPSILON, 4096, 3, 1, 2,
];
const bigints = [0n, 1n, -1n, 2n ** 31n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n) - 1n, 2n ** 200n];
function others(): unknown[] {
  return [
    undefined, null, true, false, "", "3", "x".repeat(1000), Symbol("s"), {}, [], [1, 2], { valueOf: () => 3 },
    { toString: () => "3" }, () => 0, function named() { return 1; }, class K {}, async () => 0, new Map(), new Date(),
    /x/, new Error("e"), Object.create(null), new Proxy({}, {}), Promise.resolve(1), new WeakRef({}),
  ];
}
function buffers(): unknown[] {
  return [
    new Uint8Array(8), new Uint8Array(0), Buffer.alloc(4), new DataView(new ArrayBuffer(8)), new ArrayBuffer(16),
    new ArrayBuffer(0), new Float64Array(2), new BigUint64Array(1), new Int16Array(3), detachedBuffer(), detachedView(),
    new SharedArrayBuffer(8), new Uint8Array(new SharedArrayBuffer(8)), new Uint8Array(new ArrayBuffer(16), 8),
  ];
}
function shimObjects(): unknown[] {
  return [mappings.at(-1), mappings[0], handles.at(-1), handles[0]].filter((x) => x !== undefined);
}
function anyValue(): unknown {
  switch (rand(4)) {
    case 0:
      return pick(numbers);
    case 1:
      return pick(bigints);
    case 2:
      return pick([...others(), ...shimObjects()]);
    default:
      return pick(buffers());
  }
}

// Integers that a check accepts would run a real call; for the positions
// where that could be harmful (a syscall number, a bpf attr address the kernel
// writes to) only known-harmless values are let through.
function integral(v: unknown): number | undefined {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && Number.isInteger(v)) return v;
  return undefined;
}
const HARMLESS_SYSCALLS = [process.arch === "arm64" ? 172 : 39 /* getpid */, 4000, 4095 /* none: ENOSYS */];
function syscallNumber(): unknown {
  if (rand(3) === 0) return pick(HARMLESS_SYSCALLS);
  const v = anyValue();
  const n = integral(v);
  return n !== undefined && n >= 0 && n <= 4095 ? pick(HARMLESS_SYSCALLS) : v;
}
// Addresses that cannot be mapped (the first page, beyond 2^47): EFAULT.
const UNMAPPED = [0, 1, 4095, 2 ** 47 + 4096, 2 ** 53 - 1];
function bpfAttr(): unknown {
  const v = anyValue();
  const n = integral(v);
  return typeof v === "number" && n !== undefined && n >= 0 && n <= 2 ** 53 ? pick(UNMAPPED) : v;
}
function fdValue(): unknown {
  return rand(2) === 0 ? pick([file, pipeRead, pipeWrite, closedFd, 999_999, 0]) : anyValue();
}
function callbackValue(): unknown {
  return rand(2) === 0 ? pick([() => undefined, function cb() {}, (a: number, b: number) => a + b]) : anyValue();
}

interface Case {
  fn: keyof Shim;
  args: unknown[];
}

// Each entry: a generator of plausible values per position; counts vary around the real arity.
const POSITIONS: Record<keyof Shim, Array<() => unknown>> = {
  syscall: [syscallNumber, anyValue, anyValue, anyValue, anyValue, anyValue, anyValue, anyValue, anyValue],
  bpf: [anyValue, bpfAttr, anyValue, anyValue],
  address: [anyValue, anyValue],
  mmap: [fdValue, anyValue, anyValue, anyValue, anyValue, anyValue],
  munmap: [() => (rand(2) === 0 ? pick(shimObjects().length ? shimObjects() : [undefined]) : anyValue()), anyValue],
  watch: [fdValue, anyValue, callbackValue, anyValue],
  unwatch: [() => (rand(2) === 0 ? pick(shimObjects().length ? shimObjects() : [undefined]) : anyValue()), anyValue],
};
const ARITY: Record<keyof Shim, number> = { syscall: 2, bpf: 3, address: 1, mmap: 5, munmap: 1, watch: 3, unwatch: 1 };

function makeCase(): Case {
  const fn = pick(Object.keys(POSITIONS) as Array<keyof Shim>);
  const gens = POSITIONS[fn];
  // Mostly the real arity, sometimes fewer or more arguments.
  const r = rand(10);
  const count = r < 6 ? ARITY[fn] : r < 8 ? rand(ARITY[fn] + 1) : Math.min(gens.length, ARITY[fn] + 1 + rand(3));
  const args: unknown[] = [];
  for (let i = 0; i < count; i++) args.push((gens[Math.min(i, gens.length - 1)] as () => unknown)());
  return { fn, args };
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "symbol" || typeof v === "undefined" || typeof v === "boolean") return String(v);
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (v === null) return "null";
  if (v instanceof ArrayBuffer) return `${mappings.includes(v) ? "mapping" : "ArrayBuffer"}(${v.byteLength})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  if (handles.includes(v)) return "watch handle";
  return (v as object).constructor?.name ?? "Object.create(null)";
}

// ---- checks --------------------------------------------------------------------
let threw = 0;
let returned = 0;
const bad: string[] = [];

function checkResult(c: Case, result: unknown): void {
  const ok: Record<keyof Shim, (r: unknown) => boolean> = {
    syscall: (r) => Number.isInteger(r),
    bpf: (r) => Number.isInteger(r),
    address: (r) => typeof r === "bigint",
    mmap: (r) => r instanceof ArrayBuffer || (Number.isInteger(r) && (r as number) < 0),
    munmap: (r) => r === 0 || (Number.isInteger(r) && (r as number) < 0),
    watch: (r) => (typeof r === "object" && r !== null) || (Number.isInteger(r) && (r as number) < 0),
    unwatch: (r) => r === 0,
  };
  if (!ok[c.fn](result)) bad.push(`${render(c)} returned ${describe(result)}`);
  // Release what a successful call made, twice: the second must be a no-op.
  if (c.fn === "mmap" && result instanceof ArrayBuffer) {
    mappings.push(result);
    for (let i = 0; i < 2; i++) if (shim.munmap(result) !== 0) bad.push(`munmap of a fresh mapping (round ${i}) failed`);
  }
  if (c.fn === "watch" && typeof result === "object" && result !== null) {
    handles.push(result);
    for (let i = 0; i < 2; i++) if (shim.unwatch(result) !== 0) bad.push(`unwatch of a fresh handle (round ${i}) failed`);
  }
}

function render(c: Case): string {
  return `${c.fn}(${c.args.map(describe).join(", ")})`;
}

// ---- run -----------------------------------------------------------------------
async function main(): Promise<void> {
  for (let i = 0; i < totalCases; i++) {
    if (i % 500 === 0) {
      // Keep a few live shim objects around, let finalizers and close callbacks run.
      if (mappings.length > 8) mappings.splice(0, mappings.length - 4);
      if (handles.length > 8) {
        for (const h of handles.splice(0, handles.length - 4)) shim.unwatch(h);
      }
      freshMapping();
      freshHandle();
      gc?.();
      await new Promise((r) => setImmediate(r));
    }
    const c = makeCase();
    writeSync(log, `${i} ${render(c)}\n`);
    if (i === crashAt) process.kill(process.pid, "SIGSEGV");
    let result: unknown;
    try {
      result = (shim[c.fn] as Fn)(...c.args);
    } catch (e) {
      threw++;
      const code = (e as { code?: unknown }).code;
      if (!(e instanceof TypeError || e instanceof RangeError) || code !== NATIVE_ARGUMENT_ERROR_CODE) {
        bad.push(`${render(c)} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      }
      continue;
    }
    returned++;
    checkResult(c, result);
  }
  // Stop every watcher still running: the process must then exit by itself
  // (a poll left running by a refused watch() would keep it alive).
  for (const h of handles) shim.unwatch(h);
  for (const m of mappings) shim.munmap(m);
  closeSync(pipeRead);
  closeSync(pipeWrite);
  gc?.();
  writeSync(log, "done\n");
  closeSync(log);
  process.stdout.write(`${JSON.stringify({ cases: totalCases, threw, returned, bad: bad.slice(0, 20), badCount: bad.length })}\n`);
  process.exitCode = bad.length ? 1 : 0;
}

await main();
