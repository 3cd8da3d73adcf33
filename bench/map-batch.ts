// Batch operations on a large hash map (4-byte keys, 8-byte values):
//   map.hash.batch-dump  BPF_MAP_LOOKUP_BATCH through every entry of a full map
//   map.hash.batch-fill  BPF_MAP_UPDATE_BATCH of every entry into an empty map
// The C side is bench/c/map_bench.c `batch-dump` / `batch-fill`; keys are
// 0..n-1 with value key + 1, and each side checks its work by summing the
// values of an untimed dump at the end.
import { runCHarness, cToolchainProblem } from "./c-harness.js";
import { timeRepetitions, type Benchmark, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import { createRawMap, RawBatchOps } from "./sys-baseline.js";
import { BpfMap, MapType } from "../src/map.js";

type BatchMode = "batch-dump" | "batch-fill";

/** Elements per batch call: 8192 for the 1M-entry run, smaller for tiny runs so the cursor is exercised. */
export function batchSizeFor(entries: number): number {
  return Math.max(1, Math.min(8192, Math.ceil(entries / 8)));
}

/** One implementation of the batch work on one open map. */
interface BatchSession {
  /** Inserts keys[i] → values[i] for every i, `batch` entries per call. */
  fill(keys: Uint32Array, values: BigUint64Array): void;
  /** Walks the whole map; returns the number of entries and, if asked, the sum of their values. */
  dump(sumValues: boolean): { entries: number; sum: number };
  close(): void;
}

/** Opens a fresh hash map for `entries` elements, driven `batch` entries per call. */
type BatchOpener = (entries: number, batch: number) => BatchSession;

/** Keys 0..n-1 and values key + 1, the contents both sides insert. */
function contents(entries: number): { keys: Uint32Array; values: BigUint64Array } {
  const keys = new Uint32Array(entries);
  const values = new BigUint64Array(entries);
  for (let i = 0; i < entries; i++) {
    keys[i] = i;
    values[i] = BigInt(i + 1);
  }
  return { keys, values };
}

/** Times one batch mode with `open`, exactly as the C harness does. */
function measureBatch(mode: BatchMode, params: BenchParams, open: BatchOpener): Measurement {
  const entries = params.ops;
  const batch = batchSizeFor(entries);
  const { keys, values } = contents(entries);
  let session: BatchSession | undefined;
  try {
    let samplesNs: number[];
    if (mode === "batch-dump") {
      session = open(entries, batch);
      session.fill(keys, values);
      const s = session;
      samplesNs = timeRepetitions(params, () => {
        const seen = s.dump(false).entries;
        if (seen !== entries) throw new Error(`batch dump saw ${seen} of ${entries} entries`);
      });
    } else {
      // Each round fills an empty map; creating and closing it is not timed.
      samplesNs = timeRepetitions(params, () => session?.fill(keys, values), {
        before: () => {
          session = open(entries, batch);
        },
        after: (rep) => {
          if (rep < params.reps - 1) {
            session?.close();
            session = undefined;
          }
        },
      });
    }
    if (!session) throw new Error("no map left to verify");
    const { entries: seen, sum } = session.dump(true);
    if (seen !== entries) throw new Error(`verification dump saw ${seen} of ${entries} entries`);
    return { ops: entries, samplesNs, check: sum };
  } finally {
    session?.close();
  }
}

/** The tsbpf side: Map.updateBatch and Map.lookupBatch with a cursor, through reused buffers. */
const openMapSession: BatchOpener = (entries, batch) => {
  const map = BpfMap.create({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: entries, name: "bench" });
  const keysOut = new Uint32Array(batch);
  const valuesOut = new Uint32Array(batch * 2);
  const cursor = map.batchCursor();
  return {
    fill: (keys, values) => {
      for (let done = 0; done < keys.length; ) {
        const end = Math.min(done + batch, keys.length);
        done += map.updateBatch(keys.subarray(done, end), values.subarray(done, end));
      }
    },
    dump: (sumValues) => {
      let found = 0;
      let sum = 0;
      cursor.reset();
      while (!cursor.done) {
        const count = map.lookupBatch(cursor, keysOut, valuesOut);
        found += count;
        // Values are u64 below 2^32: the low word (little-endian) is the value.
        if (sumValues) for (let i = 0; i < count; i++) sum += valuesOut[2 * i];
      }
      return { entries: found, sum };
    },
    close: () => map.close(),
  };
};

/** The low-level baseline: raw BPF_MAP_*_BATCH calls on src/sys. */
const openRawSession: BatchOpener = (entries, batch) => {
  const fd = createRawMap(MapType.Hash, entries);
  const ops = new RawBatchOps(fd, batch);
  return {
    fill: (keys, values) => ops.fillAll(keys, values),
    dump: (sumValues) => {
      let sum = 0;
      const found = ops.dumpAll(
        sumValues
          ? (count) => {
              // Values are u64 below 2^32: the low word (little-endian) is the value.
              for (let i = 0; i < count; i++) sum += ops.values[2 * i];
            }
          : undefined,
      );
      return { entries: found, sum };
    },
    close: () => fd.close(),
  };
};

function batchBenchmark(mode: BatchMode): Benchmark {
  return {
    name: `map.hash.${mode}`,
    unit: "entries",
    target: 0.8,
    referenceName: "libbpf (C)",
    params: {
      full: { ops: 1_000_000, warmup: 1, reps: 5 },
      smoke: { ops: 4_096, warmup: 0, reps: 1 },
    },
    reference: (p) => runCHarness("map_bench", [mode, p.ops, batchSizeFor(p.ops), p.warmup, p.reps]),
    tsbpf: (p) => measureBatch(mode, p, openMapSession),
    baseline: (p) => measureBatch(mode, p, openRawSession),
  };
}

/** Whole-map batch dump and batch fill of a 1M-entry hash map against libbpf. */
export const mapBatchGroup: BenchGroup = {
  name: "map-batch",
  description: "BPF_MAP_LOOKUP_BATCH dump and BPF_MAP_UPDATE_BATCH fill of a 1M-entry hash map vs libbpf",
  benchmarks: () => cToolchainProblem() ?? [batchBenchmark("batch-dump"), batchBenchmark("batch-fill")],
};
