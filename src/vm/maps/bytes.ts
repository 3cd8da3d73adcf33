// Small utilities the emulated maps share: keys as strings (so a JS Map can
// index elements by their bytes), u32 keys and the kernel's array-style
// BPF_MAP_GET_NEXT_KEY, the fd number of a value given as an FD or an fd
// holder (recognised by shape: importing the FD class would pull the native
// addon into tsbpf/vm), and stable ids standing for kernel object ids.
import { ENOENT } from "../../sys/errno.js";

/** The bytes as a Latin-1 string: equal bytes give equal strings (a Map key). */
export function keyString(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.byteLength; i += 4096) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]));
  return parts.length === 1 ? (parts[0] as string) : parts.join("");
}

/**
 * A Map key for keys of one fixed size: up to 6 bytes, their little-endian
 * value (an exact number, many times faster to index than a string); longer,
 * keyString.
 */
export function keyId(bytes: Uint8Array): number | string {
  const n = bytes.byteLength;
  if (n > 6) return keyString(bytes);
  let id = 0;
  for (let i = n - 1; i >= 0; i--) id = id * 256 + (bytes[i] as number);
  return id;
}

/** The little-endian u32 at the start of `bytes` (array indexes, fds). */
export function readU32(bytes: Uint8Array): number {
  return ((bytes[0] as number) | ((bytes[1] as number) << 8) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 24)) >>> 0;
}

/** Writes `n` as a little-endian u32 at the start of `out`. */
export function writeU32(out: Uint8Array, n: number): void {
  out[0] = n & 0xff;
  out[1] = (n >>> 8) & 0xff;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 24) & 0xff;
}

/** An FD (its `raw` getter) or an object holding one (`fd.raw`), as BpfMap.update accepts. */
export function fdNumberOf(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const direct = rawOf(value);
  if (direct !== undefined) return direct;
  return "fd" in value ? rawOf((value as { fd: unknown }).fd) : undefined;
}

function rawOf(v: unknown): number | undefined {
  if (typeof v !== "object" || v === null || !("raw" in v) || !("closed" in v)) return undefined;
  const raw = (v as { raw: unknown }).raw;
  return typeof raw === "number" ? raw : undefined;
}

/**
 * BPF_MAP_GET_NEXT_KEY of the kernel's arrays (arraymap.c): no key or an
 * index past the end gives 0, the last index -ENOENT, else the next index.
 */
export function arrayNextKey(key: Uint8Array | undefined, out: Uint8Array, maxEntries: number): number {
  const i = key === undefined ? 0xffff_ffff : readU32(key);
  if (i >= maxEntries) {
    writeU32(out, 0);
    return 0;
  }
  if (i === maxEntries - 1) return -ENOENT;
  writeU32(out, i + 1);
  return 0;
}

/** Numbers 1, 2, … given to objects in order of first use (what lookups in prog arrays and maps of maps answer). */
export function objectIds<T extends object>(): (object: T) => number {
  const ids = new WeakMap<T, number>();
  let last = 0;
  return (object) => {
    let id = ids.get(object);
    if (id === undefined) {
      id = ++last;
      ids.set(object, id);
    }
    return id;
  };
}
