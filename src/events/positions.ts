// u64 ring positions (BPF ring buffer producer/consumer, perf data_head/
// data_tail) read and written as two u32 halves, so the hot loops allocate
// no BigInt. Positions stay far below 2^53 (petabytes of traffic), so plain
// numbers hold them exactly.
import { endianness } from "node:os";

const TWO_POW_32 = 2 ** 32;
const LOW = endianness() === "LE" ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * Reads the position in `words` (a Uint32Array of the u64's two halves):
 * high, low, then high again until the high half holds still. Positions only
 * grow, so a stable high half means the low half belongs to it. Each
 * Atomics.load is an acquire.
 */
export function loadPosition(words: Uint32Array): number {
  for (;;) {
    const high = Atomics.load(words, HIGH);
    const low = Atomics.load(words, LOW);
    if (Atomics.load(words, HIGH) === high) return high * TWO_POW_32 + low;
  }
}

/**
 * Publishes `next` (which follows `previous`) in `words`: the low half alone
 * unless the high half changes; then the whole u64 at once through `whole`,
 * so the kernel never sees a torn value.
 */
export function storePosition(words: Uint32Array, whole: BigUint64Array, previous: number, next: number): void {
  if (Math.floor(previous / TWO_POW_32) === Math.floor(next / TWO_POW_32)) {
    Atomics.store(words, LOW, next % TWO_POW_32);
  } else {
    Atomics.store(whole, 0, BigInt(next));
  }
}
