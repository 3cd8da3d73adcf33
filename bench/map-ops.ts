// Single-element map operations: lookup and update on an array map and a hash
// map, 4-byte keys and 8-byte values, keys cycling over KEY_SPACE entries.
// The C side (bench/c/map_bench.c `single`) does exactly the same loop with
// bpf_map_lookup_elem / bpf_map_update_elem.
import { runCHarness, cToolchainProblem } from "./c-harness.js";
import { timeRepetitions, type Benchmark, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import { createRawMap, RawElemOps } from "./sys-baseline.js";
import { BpfMap, MapType } from "../src/map.js";

/** Keys per map (a power of two, so the key is `i & (KEY_SPACE - 1)` on both sides). */
export const KEY_SPACE = 1024;

type MapKind = "array" | "hash";
type ElemOp = "lookup" | "update";

const mapTypeOf: Record<MapKind, MapType> = { array: MapType.Array, hash: MapType.Hash };

/**
 * The loop shared by every tsbpf-side implementation: prefill key → key + 1,
 * time `ops` lookups (summing values) or updates (value = op index), and
 * compute the checksum the C harness computes.
 */
function measureElemOps(
  params: BenchParams,
  op: ElemOp,
  lookup: (key: number) => number,
  update: (key: number, value: number) => void,
): Measurement {
  const mask = KEY_SPACE - 1;
  for (let key = 0; key < KEY_SPACE; key++) update(key, key + 1);
  let check = 0;
  const samplesNs = timeRepetitions(
    params,
    op === "lookup"
      ? () => {
          let sum = 0;
          for (let i = 0; i < params.ops; i++) sum += lookup(i & mask);
          check = sum;
        }
      : () => {
          for (let i = 0; i < params.ops; i++) update(i & mask, i);
        },
  );
  if (op === "update") {
    // Read back what the updates left, outside the timed region.
    check = 0;
    for (let key = 0; key < KEY_SPACE; key++) check += lookup(key);
  }
  return { ops: params.ops, samplesNs, check };
}

/** The tsbpf side: the public Map API with reused key/value buffers (lookupInto, update). */
function tsbpfElemOps(kind: MapKind, op: ElemOp, params: BenchParams): Measurement {
  const map = BpfMap.create({ type: mapTypeOf[kind], keySize: 4, valueSize: 8, maxEntries: KEY_SPACE, name: "bench" });
  try {
    // One buffer per role, with u32 views to write keys and read values without DataView calls.
    const key = new Uint8Array(4);
    const keyWord = new Uint32Array(key.buffer);
    const value = new Uint8Array(8);
    const valueWords = new Uint32Array(value.buffer);
    return measureElemOps(
      params,
      op,
      (k) => {
        keyWord[0] = k;
        if (!map.lookupInto(key, value)) throw new Error(`key ${k} is missing`);
        return valueWords[0];
      },
      (k, v) => {
        keyWord[0] = k;
        valueWords[0] = v;
        map.update(key, value);
      },
    );
  } finally {
    map.close();
  }
}

function baselineElemOps(kind: MapKind, op: ElemOp, params: BenchParams): Measurement {
  const fd = createRawMap(mapTypeOf[kind], KEY_SPACE);
  try {
    const ops = new RawElemOps(fd);
    return measureElemOps(params, op, (k) => ops.lookup(k), (k, v) => ops.update(k, v));
  } finally {
    fd.close();
  }
}

function elemOpBenchmark(kind: MapKind, op: ElemOp): Benchmark {
  return {
    name: `map.${kind}.${op}`,
    unit: "ops",
    target: 0.7,
    referenceName: "libbpf (C)",
    params: {
      full: { ops: 500_000, warmup: 1, reps: 5 },
      smoke: { ops: 2_000, warmup: 1, reps: 2 },
    },
    reference: (p) => runCHarness("map_bench", ["single", kind, op, p.ops, p.warmup, p.reps, KEY_SPACE]),
    tsbpf: (p) => tsbpfElemOps(kind, op, p),
    baseline: (p) => baselineElemOps(kind, op, p),
  };
}

/** Array and hash map lookup/update throughput against libbpf. */
export const mapOpsGroup: BenchGroup = {
  name: "map-ops",
  description: "single-element map lookup/update (array, hash) vs libbpf bpf_map_*_elem",
  benchmarks: () =>
    cToolchainProblem() ?? [
      elemOpBenchmark("array", "lookup"),
      elemOpBenchmark("array", "update"),
      elemOpBenchmark("hash", "lookup"),
      elemOpBenchmark("hash", "update"),
    ],
};
