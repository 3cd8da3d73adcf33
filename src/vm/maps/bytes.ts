// Small byte utilities the emulated maps share: keys as strings (so a JS Map
// can index elements by their bytes), u32 keys, and the fd number of a value
// given as an FD or an fd holder (recognised by shape: importing the FD class
// would pull the native addon into tsbpf/vm).

/** The bytes as a Latin-1 string: equal bytes give equal strings (a Map key). */
export function keyString(bytes: Uint8Array): string {
  if (bytes.byteLength <= 64) {
    let s = "";
    for (let i = 0; i < bytes.byteLength; i++) s += String.fromCharCode(bytes[i] as number);
    return s;
  }
  const parts: string[] = [];
  for (let i = 0; i < bytes.byteLength; i += 4096) parts.push(String.fromCharCode(...bytes.subarray(i, i + 4096)));
  return parts.join("");
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
