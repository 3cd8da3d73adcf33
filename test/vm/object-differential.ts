// Runs an object's programs in the kernel (Collection + BPF_PROG_TEST_RUN)
// and in the machine (VmCollection + testRun, interpreter and JIT) on the
// same inputs, and returns what differs: return values, output packets and
// contexts, and afterwards the contents of every map a program can read
// with lookups (ring buffers, perf arrays and prog arrays excepted).
import { Collection } from "../../src/collection.js";
import { MapType } from "../../src/map/types.js";
import type { ObjectSpec } from "../../src/object/object-spec.js";
import { ProgramType } from "../../src/program/types.js";
import type { TestRunOptions, TestRunResult } from "../../src/program/test-run.js";
import { PerfEventArrayVmMap, VmCollection, type VmCollectionOptions, type Engine } from "../../src/vm/index.js";

/** Types BPF_PROG_TEST_RUN runs on a packet or a context the test builds. */
export const PACKET_TYPES: ReadonlySet<number> = new Set([
  ProgramType.XDP, ProgramType.SchedCls, ProgramType.SchedAct, ProgramType.SocketFilter, ProgramType.CgroupSKB,
]);

const NOT_COMPARED: ReadonlySet<number> = new Set([
  MapType.Ringbuf, MapType.PerfEventArray, MapType.ProgArray, MapType.StructOps, MapType.UserRingbuf,
  MapType.ArrayOfMaps, MapType.HashOfMaps, MapType.Arena,
]);

/** The kernel would not load the object: it cannot be test-run, so there is nothing to compare. */
export class KernelRefusedError extends Error {
  constructor(readonly reason: unknown) {
    super(`the kernel refused the object: ${(reason as Error).message?.split("\n")[0] ?? String(reason)}`);
  }
}

/** One input of a run. */
export interface RunInput {
  readonly name: string;
  readonly options: TestRunOptions;
}

interface MapLike {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  entries(): Iterable<[Uint8Array, Uint8Array]>;
  lookupPerCpu(key: Uint8Array): Uint8Array[];
}

const hex = (b: Uint8Array | undefined): string => (b === undefined ? "-" : Buffer.from(b).toString("hex"));
/** Bytes in a message: short ones whole, long ones as length, head and a digest of the rest. */
const shown = (b: Uint8Array | undefined): string => {
  if (b === undefined || b.byteLength <= 48) return hex(b);
  let h = 0;
  for (const x of b) h = (Math.imul(h, 31) + x) >>> 0;
  return `${b.byteLength} bytes ${hex(b.subarray(0, 40))}… #${h.toString(16)}`;
};

/** A map's contents as sorted "key=value" lines; per-CPU values summed (u64) or listed sorted, since the kernel's CPU varies. */
export function snapshot(map: MapLike, undefinedBytes?: readonly [number, number]): string[] {
  const perCpu = map.type === MapType.PercpuArray || map.type === MapType.PercpuHash || map.type === MapType.LruPercpuHash;
  const lines: string[] = [];
  if (map.keySize === 0) return lines;
  for (const [key, value] of map.entries()) {
    if (!perCpu) {
      const v = value.slice();
      if (undefinedBytes) v.fill(0, undefinedBytes[0], undefinedBytes[1]);
      lines.push(`${hex(key)}=${hex(v)}`);
      continue;
    }
    const values = map.lookupPerCpu(key).map((v) => {
      const c = v.slice();
      if (undefinedBytes) c.fill(0, undefinedBytes[0], undefinedBytes[1]);
      return c;
    });
    if (map.valueSize === 8) {
      const sum = values.reduce((s, v) => s + new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true), 0n);
      lines.push(`${hex(key)}=sum ${sum}`);
    } else {
      lines.push(`${hex(key)}=${values.map(hex).filter((h) => /[^0]/.test(h)).sort().join(",")}`);
    }
  }
  return lines.sort();
}

/** What one side produced for one input: the results, or the error code when the input was refused. */
function outcome(run: () => TestRunResult): string {
  try {
    const r = run();
    return `retval ${r.retval} data ${shown(r.dataOut)} ctx ${shown(r.ctxOut)}`;
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

/** The result of comparing one program. */
export interface ProgramComparison {
  readonly program: string;
  readonly runs: number;
  readonly differences: string[];
}

/**
 * Loads `selected` programs of the spec (copies) in the kernel and in the
 * machine, runs `inputs` through each in order (kernel, interpreter, JIT on
 * separate machines so their maps evolve alike) and compares results and maps.
 */
export function compareObject(
  makeSpec: () => ObjectSpec,
  selected: readonly string[],
  inputs: (program: string, type: ProgramType) => readonly RunInput[],
  vmOptions: VmCollectionOptions = {},
  prepare?: (side: { kind: "kernel"; coll: Collection } | { kind: Engine; coll: VmCollection }) => void,
  /** Value bytes of a map that differ by nature (struct padding copied from uninitialised stack, the CPU the kernel ran on), by map name. */
  undefinedValueBytes: Readonly<Record<string, readonly [number, number]>> = {},
): ProgramComparison[] {
  // Nothing is pinned (a pin would outlive the test and carry state into the next run).
  const only = (spec: ObjectSpec): ObjectSpec => {
    for (const p of spec.programs.values()) p.autoload = selected.includes(p.name);
    for (const m of spec.maps.values()) delete m.pinning;
    return spec;
  };
  let loaded: Collection;
  try {
    loaded = Collection.load(only(makeSpec()));
  } catch (e) {
    throw new KernelRefusedError(e);
  }
  using kernel = loaded;
  const engines: Engine[] = ["interpreter", "jit"];
  const machines = engines.map((engine) => ({ engine, coll: VmCollection.load(only(makeSpec()), vmOptions) }));
  try {
    // A bare test run has no perf buffer reader: output to a perf event array is -ENOENT in the kernel.
    for (const m of machines) for (const map of m.coll.maps.values()) if (map instanceof PerfEventArrayVmMap) map.readersAttached = false;
    prepare?.({ kind: "kernel", coll: kernel });
    for (const m of machines) prepare?.({ kind: m.engine, coll: m.coll });
    const out: ProgramComparison[] = [];
    for (const name of selected) {
      const differences: string[] = [];
      const program = kernel.program(name);
      const list = inputs(name, program.type);
      for (const input of list) {
        const expected = outcome(() => program.testRun(input.options));
        for (const m of machines) {
          const got = outcome(() => m.coll.program(name).testRun({ ...input.options, engine: m.engine }));
          if (got !== expected) differences.push(`${name} on ${input.name} (${m.engine}):\n  kernel  ${expected}\n  machine ${got}`);
        }
      }
      out.push({ program: name, runs: list.length, differences });
    }
    for (const [mapName, kmap] of kernel.maps) {
      if (NOT_COMPARED.has(kmap.type)) continue;
      const expected = snapshot(kmap, undefinedValueBytes[mapName]).join("\n");
      for (const m of machines) {
        const vmap = m.coll.maps.get(mapName);
        const got = vmap ? snapshot(vmap, undefinedValueBytes[mapName]).join("\n") : "(no such map)";
        if (got !== expected) out.push({ program: `map ${mapName}`, runs: 0, differences: [`map ${mapName} (${m.engine}):\n  kernel  ${expected}\n  machine ${got}`] });
      }
    }
    return out;
  } finally {
    for (const m of machines) m.coll.close();
  }
}
