// The machine's address space: every byte a program may touch lives in a
// named region (context, packet, one stack per frame, map values, ring buffer
// records, memory the test supplies). Each region owns a 4 GiB window of the
// 64-bit space — its base is `window << 32 | 0x8000_0000` — so finding the
// region of an address is one array index on its high 32 bits, with no
// bigint, and an access just before or after a region still names it.
// Unaligned accesses are allowed (the ISA does not require alignment); the
// byte order is little-endian, as BPF programs built for x86/arm64 expect.
// Window 0 holds at most one "low" region, whose addresses fit in 32 bits:
// packets live there, because xdp_md and __sk_buff carry packet pointers in
// u32 fields that programs read with 32-bit loads, as the kernel's context
// rewriting allows.
import { VmFaultError, type VmAccess } from "./errors.js";

/** Offset of a region's first byte inside its 4 GiB window. */
const WINDOW_MIDDLE = 0x8000_0000;
const TWO_32 = 0x1_0000_0000;
/** Addresses below this never hold a region: NULL plus small offsets fault as null pointers. */
const LOW_MIN = 0x1_0000;

/** A span of memory a program may read (and maybe write). */
export interface Region {
  /** Name used in fault messages ("stack frame 0", "packet", "map counts value"). */
  readonly name: string;
  /** Address of the first byte (unsigned 64-bit). */
  readonly base: bigint;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  /** The high 32 bits of every address inside the region. */
  readonly window: number;
  /** The low 32 bits of `base`: an address's offset in the region is its low half minus this. */
  readonly start: number;
  /** @internal */
  readonly view: DataView;
}

/** Options of {@link AddressSpace.map}. */
export interface MapRegionOptions {
  /** Stores and atomics fault when false (default true). */
  writable?: boolean;
}

/** The regions of one machine, each at its own base address. */
export class AddressSpace {
  // Index = window; window 0 (addresses below 4 GiB, NULL included) is never mapped.
  private readonly windows: (Region | undefined)[] = [undefined];
  private readonly free: number[] = [];

  /** Makes `bytes` addressable (they are used in place, not copied) and returns the region. */
  map(name: string, bytes: Uint8Array, options: MapRegionOptions = {}): Region {
    const window = this.free.pop() ?? this.windows.length;
    const region = makeRegion(name, bytes, window, WINDOW_MIDDLE, options);
    this.windows[window] = region;
    return region;
  }

  /**
   * Maps `bytes` at the 32-bit address `address` (window 0), replacing the
   * low region mapped before, if any. `address` must be at least 64 KiB (so
   * NULL and small integers still fault) and the region must end below 4 GiB.
   */
  mapLow(name: string, bytes: Uint8Array, address: number, options: MapRegionOptions = {}): Region {
    if (!Number.isInteger(address) || address < LOW_MIN || address + bytes.byteLength > TWO_32) {
      throw new RangeError(`mapLow: ${bytes.byteLength} bytes at 0x${address.toString(16)} do not fit between 64 KiB and 4 GiB`);
    }
    const region = makeRegion(name, bytes, 0, address, options);
    this.windows[0] = region;
    return region;
  }

  /** Removes a region; its addresses fault from now on (a later region may reuse the window). */
  unmap(region: Region): void {
    if (this.windows[region.window] !== region) return;
    this.windows[region.window] = undefined;
    if (region.window !== 0) this.free.push(region.window);
  }

  /** The region holding `address`, if any. */
  regionAt(address: bigint): Region | undefined {
    const window = Number(BigInt.asUintN(64, address) >> 32n);
    const region = this.windows[window];
    if (!region) return undefined;
    const offset = Number(address & 0xffff_ffffn) - region.start;
    return offset >= 0 && offset < region.bytes.byteLength ? region : undefined;
  }

  /**
   * The region and byte offset of a `size`-byte access at the address
   * `hi:lo` (two unsigned 32-bit halves), or a VmFaultError naming
   * instruction `index`. The offset is returned; the region is left in
   * `this.hit` (the hot path allocates nothing).
   * @internal
   */
  offsetOf(hi: number, lo: number, size: number, access: VmAccess, index: number): number {
    const region = this.windows[hi];
    if (region === undefined) {
      const address = (BigInt(hi) << 32n) | BigInt(lo);
      throw new VmFaultError(index, address, size, access, undefined, hi === 0 && lo < LOW_MIN ? "null pointer (no region is mapped there)" : "the address is in no region");
    }
    const offset = lo - region.start;
    if (offset < 0 || offset + size > region.bytes.byteLength) {
      const address = (BigInt(hi) << 32n) | BigInt(lo);
      const where = offset < 0 ? `${-offset} bytes before its start` : `at offset ${offset}, past its end`;
      throw new VmFaultError(index, address, size, access, region.name, `out of bounds of ${region.name} (${region.bytes.byteLength} bytes): ${where}`);
    }
    if (access === "write" && !region.writable) {
      const address = (BigInt(hi) << 32n) | BigInt(lo);
      throw new VmFaultError(index, address, size, access, region.name, `${region.name} is read-only`);
    }
    this.hit = region;
    return offset;
  }

  /** The region found by the last {@link offsetOf}. @internal */
  hit: Region | undefined;

  /** Reads `size` (1, 2 or 4) bytes at `hi:lo`, zero-extended. @internal */
  load(hi: number, lo: number, size: number, index: number): number {
    const offset = this.offsetOf(hi, lo, size, "read", index);
    const view = (this.hit as Region).view;
    if (size === 4) return view.getUint32(offset, true);
    if (size === 2) return view.getUint16(offset, true);
    return view.getUint8(offset);
  }

  /** Writes the low `size` (1, 2 or 4) bytes of `value` at `hi:lo`. @internal */
  store(hi: number, lo: number, size: number, value: number, index: number): void {
    const offset = this.offsetOf(hi, lo, size, "write", index);
    const view = (this.hit as Region).view;
    if (size === 4) view.setUint32(offset, value, true);
    else if (size === 2) view.setUint16(offset, value, true);
    else view.setUint8(offset, value);
  }

  /** Reads the bytes [address, address + length) (for helpers); faults like a load. */
  read(address: bigint, length: number, index = -1): Uint8Array {
    const [hi, lo] = split(address);
    const offset = this.offsetOf(hi, lo, length, "read", index);
    return (this.hit as Region).bytes.subarray(offset, offset + length);
  }

  /** Writes `data` at `address` (for helpers); faults like a store. */
  write(address: bigint, data: Uint8Array, index = -1): void {
    const [hi, lo] = split(address);
    const offset = this.offsetOf(hi, lo, data.byteLength, "write", index);
    (this.hit as Region).bytes.set(data, offset);
  }
}

function makeRegion(name: string, bytes: Uint8Array, window: number, start: number, options: MapRegionOptions): Region {
  return {
    name,
    base: (BigInt(window) << 32n) | BigInt(start),
    bytes,
    writable: options.writable ?? true,
    window,
    start,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}

/** An unsigned 64-bit address as its [high, low] 32-bit halves. */
export function split(address: bigint): [number, number] {
  const a = BigInt.asUintN(64, address);
  return [Number(a >> 32n), Number(a & 0xffff_ffffn)];
}

/**
 * `hi:lo + delta` for a small signed delta (|delta| < 2^32): the carry moves
 * between the halves, the high half wraps at 2^32.
 * @internal
 */
export function addressHigh(hi: number, lo: number, delta: number): number {
  const sum = lo + delta;
  if (sum < 0) return (hi + TWO_32 - 1) % TWO_32;
  if (sum >= TWO_32) return (hi + 1) % TWO_32;
  return hi;
}

/** The low half of `hi:lo + delta` (see {@link addressHigh}). @internal */
export function addressLow(lo: number, delta: number): number {
  return (lo + delta + TWO_32) % TWO_32;
}
