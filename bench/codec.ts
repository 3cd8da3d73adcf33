// The BTF codec against a hand-written DataView decoder and encoder of the
// same struct, in the same process and run:
//   codec.decode.event  BtfCodec.decode of `struct event` records read in place
//                       from one buffer (as a ring buffer's records are)
//   codec.encode.event  BtfCodec.encode of the same values into new bytes
// `struct event` (test/fixtures/codec/codec.bpf.c) is what a tracing tool
// sends: u32 pids, u64 timestamps, char comm[16], char filename[256], a
// nested struct and bitfields. One "op" is one record.
import path from "node:path";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { checksumBytes, timeRepetitions, type Benchmark, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import { loadObjectSpec } from "../src/object/index.js";
import { BtfCodec } from "../src/btf/codec/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURE = path.join(repoRoot, "test", "fixtures", "codec", "codec.bpf.o");

/** The decoded `struct event`. */
interface Event {
  pid: number; ppid: number; start_ns: bigint; end_ns: bigint; comm: string; filename: string;
  cred: { uid: number; gid: number }; exit_code: number; signal: number; core: number; flags: number;
}

/** sizeof(struct event) and its member offsets, as clang laid it out (checked against the BTF at setup). */
const SIZE = 312;
const DISTINCT = 1024;
const FILES = ["/usr/bin/cat", "/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/status", "/home/user/projects/tsbpf/src/btf/codec/codec.ts"];
const COMMS = ["bash", "cat", "node", "systemd-journal", "kworker/0:1"];

function sampleEvent(i: number): Event {
  return {
    pid: 1000 + i, ppid: 1 + (i % 7), start_ns: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_003n, end_ns: 1_700_000_000_000_500_000n + BigInt(i),
    comm: COMMS[i % COMMS.length]!, filename: FILES[i % FILES.length]!, cred: { uid: i % 65536, gid: 100 },
    exit_code: i & 0xff, signal: i % 32, core: i & 1, flags: (i * 31) & 0xffff,
  };
}

function cstr(b: Buffer, at: number, n: number): string {
  let end = b.indexOf(0, at);
  if (end < 0 || end > at + n) end = at + n;
  return b.toString("utf8", at, end);
}

/** What one would write by hand: DataView reads at fixed offsets, strings up to the NUL. */
function handDecode(v: DataView, b: Buffer, at: number): Event {
  const bits = v.getUint32(at + 304, true);
  return {
    pid: v.getUint32(at, true), ppid: v.getUint32(at + 4, true), start_ns: v.getBigUint64(at + 8, true), end_ns: v.getBigUint64(at + 16, true),
    comm: cstr(b, at + 24, 16), filename: cstr(b, at + 40, 256), cred: { uid: v.getUint32(at + 296, true), gid: v.getUint32(at + 300, true) },
    exit_code: bits & 0xff, signal: (bits >>> 8) & 0x7f, core: (bits >>> 15) & 1, flags: bits >>> 16,
  };
}

function handEncode(e: Event): Uint8Array {
  const out = new Uint8Array(SIZE);
  const v = new DataView(out.buffer);
  const b = Buffer.from(out.buffer);
  v.setUint32(0, e.pid, true);
  v.setUint32(4, e.ppid, true);
  v.setBigUint64(8, e.start_ns, true);
  v.setBigUint64(16, e.end_ns, true);
  b.write(e.comm, 24, 16, "utf8");
  b.write(e.filename, 40, 256, "utf8");
  v.setUint32(296, e.cred.uid, true);
  v.setUint32(300, e.cred.gid, true);
  v.setUint32(304, (e.exit_code | (e.signal << 8) | (e.core << 15) | (e.flags << 16)) >>> 0, true);
  return out;
}

/** A checksum of decoded events both sides compute the same way. */
function eventCheck(e: Event): number {
  return (e.pid + e.ppid + Number(e.start_ns % 65536n) + e.comm.length + e.filename.length + e.cred.uid + e.exit_code + e.signal + e.core + e.flags) >>> 0;
}

interface Setup {
  readonly codec: BtfCodec<Event>;
  readonly records: Uint8Array;
  readonly events: readonly Event[];
}

function setup(): Setup {
  const btf = loadObjectSpec(FIXTURE).btf!;
  const codec = BtfCodec.of<Event>(btf, "struct event", { littleEndian: true });
  if (codec.size !== SIZE) throw new Error(`struct event is ${codec.size} bytes, the hand-written decoder assumes ${SIZE}`);
  const events = Array.from({ length: DISTINCT }, (_, i) => sampleEvent(i));
  const records = new Uint8Array(SIZE * DISTINCT);
  events.forEach((e, i) => records.set(handEncode(e), i * SIZE));
  // Both sides must agree before either is timed.
  const v = new DataView(records.buffer);
  const b = Buffer.from(records.buffer);
  for (let i = 0; i < DISTINCT; i++) {
    const x = JSON.stringify(codec.decode(v, i * SIZE), (_k, y: unknown) => (typeof y === "bigint" ? String(y) : y));
    const y = JSON.stringify(handDecode(v, b, i * SIZE), (_k, z: unknown) => (typeof z === "bigint" ? String(z) : z));
    if (x !== y) throw new Error(`codec and hand-written decoder disagree on record ${i}: ${x} vs ${y}`);
    if (checksumBytes(codec.encode(events[i]!)) !== checksumBytes(records.subarray(i * SIZE, (i + 1) * SIZE))) throw new Error(`codec encodes record ${i} differently`);
  }
  return { codec, records, events };
}

function measureDecode(s: Setup, params: BenchParams, hand: boolean): Measurement {
  const v = new DataView(s.records.buffer);
  const b = Buffer.from(s.records.buffer);
  let check = 0;
  const samplesNs = timeRepetitions(params, () => {
    let sum = 0;
    for (let i = 0; i < params.ops; i++) {
      const at = (i % DISTINCT) * SIZE;
      const e = hand ? handDecode(v, b, at) : s.codec.decode(v, at, SIZE);
      sum = (sum + eventCheck(e)) >>> 0;
    }
    check = sum;
  });
  return { ops: params.ops, samplesNs, check };
}

function measureEncode(s: Setup, params: BenchParams, hand: boolean): Measurement {
  let check = 0;
  const samplesNs = timeRepetitions(params, () => {
    let sum = 0;
    for (let i = 0; i < params.ops; i++) {
      const bytes = hand ? handEncode(s.events[i % DISTINCT]!) : s.codec.encode(s.events[i % DISTINCT]!);
      sum = (sum + bytes[0]! + bytes[304]!) >>> 0;
    }
    check = sum;
  });
  return { ops: params.ops, samplesNs, check };
}

function codecBenchmark(mode: "decode" | "encode", s: () => Setup): Benchmark {
  const measure = mode === "decode" ? measureDecode : measureEncode;
  return {
    name: `codec.${mode}.event`,
    unit: "records",
    // Informational: the figure is the ratio to the hand-written code (docs/benchmarks.md, "Codec").
    target: undefined,
    referenceName: `hand-written DataView ${mode}r`,
    params: { full: { ops: 200_000, warmup: 3, reps: 9 }, smoke: { ops: 2_000, warmup: 1, reps: 1 } },
    tsbpf: (p) => measure(s(), p, false),
    reference: (p) => measure(s(), p, true),
  };
}

/** BtfCodec against hand-written DataView code for the same struct. */
export const codecGroup: BenchGroup = {
  name: "codec",
  description: "BtfCodec decode/encode of a tracing event struct, against a hand-written DataView decoder/encoder",
  benchmarks() {
    if (!existsSync(FIXTURE)) return `${FIXTURE} is missing (scripts/build-fixtures.sh codec)`;
    let cached: Setup | undefined;
    const s = (): Setup => (cached ??= setup());
    return [codecBenchmark("decode", s), codecBenchmark("encode", s)];
  },
};
