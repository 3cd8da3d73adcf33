// Ring buffers (ringbuf). Programs reserve records (each a writable region of
// its own, unmapped once submitted or discarded) or output them whole; the
// records are collected for the test instead of being written into a byte
// ring. Space is accounted as the kernel does — each record takes its size
// plus an 8-byte header, rounded up to 8, and the producer may run at most
// size − 1 bytes ahead of the consumer — so a program sees -EAGAIN / NULL
// exactly when the kernel's ring of that size would be full. drain() plays
// the consumer: it takes the finished records and frees their space.
import * as E from "../../sys/errno.js";
import { roundUp8 } from "../../map/bytes.js";
import type { MapSpec } from "../../map/spec.js";
import type { Region } from "../memory.js";
import { VmMap } from "./base.js";
import type { VmEventRecord, VmMapHost, VmRingBufferOps } from "./types.js";

/** BPF_RINGBUF_HDR_SZ. */
const HEADER = 8;
/** bpf_ringbuf_query flags. */
const RB_AVAIL_DATA = 0n;
const RB_RING_SIZE = 1n;
const RB_CONS_POS = 2n;
const RB_PROD_POS = 3n;

interface Slot {
  /** Bytes the record takes in the ring (header included, rounded up to 8). */
  readonly length: number;
  readonly cpu: number;
  /** The reservation while the program holds it. */
  region: Region | undefined;
  state: "busy" | "committed" | "discarded";
  data: Uint8Array | undefined;
}

/** ringbuf. */
export class RingBufferVmMap extends VmMap implements VmRingBufferOps {
  /** Records not yet consumed, oldest first. */
  #slots: Slot[] = [];
  #producer = 0;
  #consumer = 0;
  readonly #pending = new Map<bigint, Slot>();

  constructor(spec: MapSpec, host: VmMapHost) {
    super(spec, host);
  }

  #reserveSlot(size: number): Slot | undefined {
    if (!Number.isInteger(size) || size < 0) return undefined;
    const length = roundUp8(size + HEADER);
    if (length > this.maxEntries) return undefined;
    if (this.#producer + length - this.#consumer > this.maxEntries - 1) return undefined;
    this.#producer += length;
    const slot: Slot = { length, cpu: this.currentCpu(), region: undefined, state: "busy", data: undefined };
    this.#slots.push(slot);
    return slot;
  }

  reserve(size: number): Region | undefined {
    const slot = this.#reserveSlot(size);
    if (!slot) return undefined;
    slot.region = this.mapRegion("ringbuf record", new Uint8Array(size), true);
    this.#pending.set(slot.region.base, slot);
    return slot.region;
  }

  commit(address: bigint, discard: boolean): number {
    const slot = this.#pending.get(address);
    if (!slot || !slot.region) return -E.EINVAL;
    this.#pending.delete(address);
    slot.data = discard ? undefined : slot.region.bytes.slice();
    slot.state = discard ? "discarded" : "committed";
    this.unmapRegion(slot.region);
    slot.region = undefined;
    return 0;
  }

  output(data: Uint8Array): number {
    const slot = this.#reserveSlot(data.byteLength);
    if (!slot) return -E.EAGAIN;
    slot.data = data.slice();
    slot.state = "committed";
    return 0;
  }

  query(flags: bigint): bigint {
    switch (flags) {
      case RB_AVAIL_DATA: return BigInt(this.#producer - this.#consumer);
      case RB_RING_SIZE: return BigInt(this.maxEntries);
      case RB_CONS_POS: return BigInt(this.#consumer);
      case RB_PROD_POS: return BigInt(this.#producer);
      default: return 0n;
    }
  }

  /** The finished slots a consumer would see now: those before the first record still reserved. */
  #ready(): Slot[] {
    const busy = this.#slots.findIndex((s) => s.state === "busy");
    return busy < 0 ? this.#slots : this.#slots.slice(0, busy);
  }

  /** Submitted records a consumer would read now, oldest first (copies; the ring keeps them until drain()). */
  records(): VmEventRecord[] {
    return this.#ready().flatMap((s) => (s.state === "committed" && s.data ? [{ data: s.data.slice(), cpu: s.cpu }] : []));
  }

  /** Consumes the records a consumer would read now (oldest first) and frees their space in the ring. */
  drain(): VmEventRecord[] {
    const ready = this.#ready();
    this.#slots = this.#slots.slice(ready.length);
    for (const s of ready) this.#consumer += s.length;
    return ready.flatMap((s) => (s.state === "committed" && s.data ? [{ data: s.data, cpu: s.cpu }] : []));
  }

  // Element commands do not apply to ring buffers: the kernel answers ENOTSUPP.
  protected sysLookup(): number {
    return -E.ENOTSUPP;
  }

  protected sysUpdate(): number {
    return -E.ENOTSUPP;
  }

  protected sysDelete(): number {
    return -E.ENOTSUPP;
  }

  protected sysNextKey(): number {
    return -E.ENOTSUPP;
  }

  programLookup(): bigint {
    return 0n;
  }

  programUpdate(): number {
    return -E.ENOTSUPP;
  }

  programDelete(): number {
    return -E.ENOTSUPP;
  }
}
