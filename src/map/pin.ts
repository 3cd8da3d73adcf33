// Pins and the compatibility check used when an existing pin is reused.
import { IncompatibleError } from "../sys/errors.js";
import { describeSpec, type MapSpec } from "./spec.js";
import type { MapInfoData } from "./info.js";
import { MapFlags, MapType, mapTypeName } from "./types.js";
import { possibleCpuCount } from "../sys/cpus.js";

// Flags that describe how *this* fd or pin was opened, or are
// kernel-internal, rather than what the map is.
const IGNORED_FLAGS = MapFlags.INNER_MAP;

/**
 * Throws IncompatibleError naming the first property of `expect` that the
 * existing map (`info`) does not have: type, keySize, valueSize, maxEntries, flags.
 */
export function checkCompatible(info: MapInfoData, expect: Partial<MapSpec>, where: string): void {
  const mismatch = (prop: string, want: string | number, have: string | number): never => {
    throw new IncompatibleError(
      `${where}: existing ${mapTypeName(info.type)} map '${info.name}' has ${prop} ${have}, expected ${want}` +
        (expect.type !== undefined ? ` (for ${describeSpec({ type: expect.type, name: expect.name })})` : ""),
    );
  };
  if (expect.type !== undefined && expect.type !== info.type) mismatch("type", mapTypeName(expect.type), info.typeName);
  if (expect.keySize !== undefined && expect.keySize !== info.keySize) mismatch("keySize", expect.keySize, info.keySize);
  if (expect.valueSize !== undefined && expect.valueSize !== info.valueSize) mismatch("valueSize", expect.valueSize, info.valueSize);
  if (expect.maxEntries !== undefined) {
    // A perf event array of 0 entries is sized by the kernel to the possible CPUs.
    const want = expect.maxEntries === 0 && info.type === MapType.PerfEventArray ? possibleCpuCount() : expect.maxEntries;
    if (want !== info.maxEntries) mismatch("maxEntries", want, info.maxEntries);
  }
  if (expect.flags !== undefined && (expect.flags & ~IGNORED_FLAGS) !== (info.flags & ~IGNORED_FLAGS)) {
    mismatch("flags", `0x${expect.flags.toString(16)}`, `0x${info.flags.toString(16)}`);
  }
}
