// The user-space BPF machine's workloads (test/fixtures/vm-bench/bench.bpf.c)
// and how each side runs them: the kernel with Collection.load and
// Program.testRun (BPF_PROG_TEST_RUN, whose `duration` is the kernel's own
// mean ns per run), the machine with VmCollection and its testRun, same
// object, same packet, same repeat count. Shared by bench/vm.ts (the
// detailed report) and bench/vm/group.ts (`npm run bench`).
import path from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection } from "../../src/collection.js";
import { ObjectSpec } from "../../src/object/object-spec.js";
import { VmCollection, type Engine } from "../../src/vm/index.js";
import { checksumBytes } from "../harness.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The workloads' object (built with scripts/build-fixtures.sh vm-bench). */
export const VM_BENCH_OBJECT = path.join(repoRoot, "test", "fixtures", "vm-bench", "bench.bpf.o");

/** Bytes of every packet (an Ethernet MTU's worth). */
export const PACKET_BYTES = 1500;

/** One workload: an XDP program of the object and the packet it runs on. */
export interface Workload {
  /** The program's C name. */
  readonly program: string;
  /** What it exercises, for the report. */
  readonly kind: "compute" | "maps";
  readonly describe: string;
  /** The packet (data_in). */
  readonly packet: () => Uint8Array;
}

/** A deterministic byte stream (a 32-bit LCG), so every run and both sides see the same packets. */
function bytes(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) & 0xff;
  };
}

function randomPacket(): Uint8Array {
  const next = bytes(12345);
  return Uint8Array.from({ length: PACKET_BYTES }, next);
}

/** Type-length-value records (type byte, length 0–7, value) from byte 16 on, as tlv_parse walks them. */
function tlvPacket(): Uint8Array {
  const next = bytes(54321);
  const d = Uint8Array.from({ length: PACKET_BYTES }, next);
  for (let at = 16; at + 1 < PACKET_BYTES;) {
    const length = next() % 8;
    d[at] = next() % 24;
    d[at + 1] = length;
    at += 2 + length;
  }
  return d;
}

/** Ethernet + IPv4 + UDP to port 53 from 10.0.0.1:4242, padded to PACKET_BYTES. */
function udpPacket(): Uint8Array {
  const d = new Uint8Array(PACKET_BYTES);
  const v = new DataView(d.buffer);
  v.setUint16(12, 0x0800);
  d[14] = 0x45;
  v.setUint16(16, PACKET_BYTES - 14);
  d[22] = 64;
  d[23] = 17;
  d.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  v.setUint16(34, 4242);
  v.setUint16(36, 53);
  v.setUint16(38, PACKET_BYTES - 34);
  return d;
}

/** The three workloads, in report order. */
export const WORKLOADS: readonly Workload[] = [
  { program: "fnv_hash", kind: "compute", describe: "FNV-1a 64 over 1484 packet bytes (a bounded loop, a 64-bit multiply per byte)", packet: randomPacket },
  { program: "tlv_parse", kind: "compute", describe: "TLV walk over the packet (≈270 records, per-type counters on the stack)", packet: tlvPacket },
  { program: "flow_count", kind: "maps", describe: "per-packet array + hash map lookups, an atomic add, a flow entry update", packet: udpPacket },
];

/** What a batch of runs measured on one side. */
export interface RunBatch {
  /**
   * Mean nanoseconds per run. The kernel's figure is BPF_PROG_TEST_RUN's
   * `duration`, which leaves out the time the test loop spent rescheduled;
   * the machine's is the process's CPU time over the batch (user + system),
   * so neither counts time other processes took on a shared machine.
   */
  readonly nsPerRun: number;
  /** The program's return value and output packet, checksummed: both sides must agree. */
  readonly check: number;
}

/** Default wall time each program and engine runs before it is measured. */
const WARM_UP_MS = 1500;

/** Both sides' loaded objects, opened once per process. */
export class VmBenchObjects implements Disposable {
  readonly kernel: Collection;
  readonly machine: VmCollection;
  /** Programs whose JIT code has been warmed (V8 optimises a hot function after a few hundred ms). */
  private readonly warm = new Set<string>();

  /** @param warmUpMs wall time each program and engine runs, untimed, before its first measurement */
  constructor(private readonly warmUpMs = WARM_UP_MS) {
    const spec = ObjectSpec.parse(readFileSync(VM_BENCH_OBJECT));
    this.kernel = Collection.load(spec);
    try {
      this.machine = VmCollection.load(spec);
    } catch (e) {
      this.kernel.close();
      throw e;
    }
  }

  /** `repeat` runs in the kernel (one BPF_PROG_TEST_RUN). */
  kernelRuns(w: Workload, repeat: number): RunBatch {
    const r = this.kernel.programs.get(w.program)?.testRun({ data: w.packet(), repeat });
    if (!r) throw new Error(`vm bench: no program ${w.program} in ${VM_BENCH_OBJECT}`);
    return { nsPerRun: r.duration, check: outcome(r.retval, r.dataOut) };
  }

  /** `repeat` runs in the machine (one VmCollection testRun); also returns the instructions of one run. */
  machineRuns(w: Workload, engine: Engine, repeat: number): RunBatch & { instructions: number } {
    const program = this.machine.program(w.program);
    const key = `${w.program}/${engine}`;
    if (!this.warm.has(key)) {
      // Untimed: V8 compiles the JIT's code (and the interpreter) to machine code only once they are hot.
      const until = performance.now() + this.warmUpMs;
      while (performance.now() < until) program.testRun({ data: w.packet(), repeat: 50, engine });
      this.warm.add(key);
    }
    const data = w.packet();
    const before = process.cpuUsage();
    const r = program.testRun({ data, repeat, engine });
    const used = process.cpuUsage(before);
    return { nsPerRun: ((used.user + used.system) * 1000) / Math.max(repeat, 1), check: outcome(r.retval, r.dataOut), instructions: r.instructions };
  }

  close(): void {
    this.machine.close();
    this.kernel.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function outcome(retval: number, dataOut: Uint8Array | undefined): number {
  return (checksumBytes(dataOut ?? new Uint8Array()) ^ retval) >>> 0;
}
