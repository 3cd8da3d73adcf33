// Value storage of the hash-like maps, shaped like the kernel's preallocated
// elements: fixed-size slots in a few large regions, allocated on demand in
// chunks and reused after a delete. A program keeps a valid pointer to a
// value it looked up even if the element is deleted meanwhile (as in the
// kernel, where the memory returns to a free list, not to the allocator), and
// a map with thousands of elements uses a handful of regions, not thousands.
import type { Region } from "../memory.js";

/** Bytes per chunk the slab aims at (a chunk holds at least one slot). */
const CHUNK_BYTES = 256 * 1024;

/** Maps a new region of `bytes` named after `what` (the owning map tracks it). */
export type RegionMapper = (what: string, bytes: Uint8Array) => Region;

/** Fixed-size slots in lazily allocated regions. */
export class ValueSlab {
  readonly #stride: number;
  readonly #perChunk: number;
  readonly #chunks: Region[] = [];
  readonly #free: number[] = [];
  #next = 0;
  readonly #mapRegion: RegionMapper;

  /** `stride`: bytes per slot; `capacity`: the most slots ever live at once (sizes the first chunk). */
  constructor(stride: number, capacity: number, mapRegion: RegionMapper) {
    this.#stride = Math.max(stride, 1);
    this.#perChunk = Math.max(1, Math.min(capacity, Math.floor(CHUNK_BYTES / this.#stride)));
    this.#mapRegion = mapRegion;
  }

  /** A free slot (zeroed). */
  alloc(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) {
      this.bytes(reused).fill(0);
      return reused;
    }
    const slot = this.#next++;
    const chunk = Math.floor(slot / this.#perChunk);
    if (chunk === this.#chunks.length) {
      this.#chunks.push(this.#mapRegion(`values ${chunk}`, new Uint8Array(this.#perChunk * this.#stride)));
    }
    return slot;
  }

  /** Returns a slot to the free list (its bytes stay mapped). */
  free(slot: number): void {
    this.#free.push(slot);
  }

  /** The slot's bytes (a live view). */
  bytes(slot: number): Uint8Array {
    const region = this.#chunks[Math.floor(slot / this.#perChunk)] as Region;
    const offset = (slot % this.#perChunk) * this.#stride;
    return region.bytes.subarray(offset, offset + this.#stride);
  }

  /** The address of byte `offset` of the slot. */
  address(slot: number, offset = 0): bigint {
    const region = this.#chunks[Math.floor(slot / this.#perChunk)] as Region;
    return region.base + BigInt((slot % this.#perChunk) * this.#stride + offset);
  }
}
