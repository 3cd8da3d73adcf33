// Per-CPU values: the kernel buffer holds one value per *possible* CPU, each
// padded to 8 bytes. These helpers convert between that flat buffer and an
// array of per-CPU values.
import { InvalidArgumentError } from "../sys/errors.js";
import { bytesArgument, type BytesLike } from "./bytes.js";

/** Splits a flat per-CPU buffer into `cpus` copies of `valueSize` bytes. */
export function splitPerCpu(flat: Uint8Array, valueSize: number, stride: number, cpus: number): Uint8Array[] {
  const out: Uint8Array[] = new Array<Uint8Array>(cpus);
  for (let c = 0; c < cpus; c++) out[c] = flat.slice(c * stride, c * stride + valueSize);
  return out;
}

/** Writes one value per CPU into a flat buffer (padding zeroed); throws on a wrong count or size. */
export function packPerCpu(dst: Uint8Array, values: readonly BytesLike[], valueSize: number, stride: number, what: string): void {
  const cpus = dst.byteLength / stride;
  if (values.length !== cpus) {
    throw new InvalidArgumentError(`${what}: expected ${cpus} per-CPU values (one per possible CPU), got ${values.length}`, "value");
  }
  dst.fill(0);
  for (let c = 0; c < cpus; c++) {
    const v = bytesArgument(values[c], `per-CPU value ${c}`, what);
    if (v.byteLength !== valueSize) {
      throw new InvalidArgumentError(`${what}: per-CPU value ${c} is ${v.byteLength} bytes, the map's value size is ${valueSize}`, "value");
    }
    dst.set(v, c * stride);
  }
}
