// Explicit padding members (`long: 64;`, `int: 0;` …) that make a struct
// printed as C lay out exactly like its BTF says, following libbpf's
// btf_dump_emit_bit_padding: align to the biggest of long/int/short/char
// that fits the gap, then fill it with `type: bits;` anonymous bitfields.
import type { ByteSink } from "./byte-sink.js";

const PAD_NAMES = ["long", "int", "short", "char"] as const;
const PAD_BITS_64 = [64, 32, 16, 8] as const;
const PAD_BITS_32 = [32, 32, 16, 8] as const;

/**
 * Writes the padding (each member on its own line) to get from bit offset
 * `cur` to `next`, where the next member needs `nextAlign` bytes of
 * alignment and `inBitfield` says whether it continues a bitfield run.
 */
export function writeBitPadding(out: ByteSink, ptrSize: number, cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
  if (cur >= next) return;
  const bitsOf = ptrSize === 8 ? PAD_BITS_64 : PAD_BITS_32;
  let i = 0;
  let newOff = cur;
  for (i = 0; i < 4; i++) {
    newOff = roundUp(cur, bitsOf[i] as number);
    if (newOff <= next) break;
  }
  if (i === 4) i = 3;
  let padIndex = i;
  let padBits = bitsOf[i] as number;
  if (newOff > cur && newOff <= next) {
    // An explicit `type: 0;` (or the bit count, inside a bitfield run) is needed
    // when the compiler would not reach that boundary on its own.
    if (inBitfield || (newOff === next && roundUp(cur, nextAlign * 8) !== newOff) || (newOff !== next && next - newOff <= newOff - cur)) {
      line(out, lvl, padIndex, inBitfield ? newOff - cur : 0);
    }
    cur = newOff;
  }
  while (cur !== next) {
    const bits = Math.min(next - cur, padBits);
    if (bits === padBits) {
      line(out, lvl, padIndex, padBits);
      cur += bits;
      continue;
    }
    // The remainder: the smallest type that holds it.
    for (let j = 3; j >= 0; j--) {
      padIndex = j;
      padBits = bitsOf[j] as number;
      if (padBits < bits) continue;
      line(out, lvl, j, bits);
      cur += bits;
      break;
    }
  }
}

function line(out: ByteSink, lvl: number, padIndex: number, bits: number): void {
  out.byte(10);
  out.tabs(lvl);
  out.text(PAD_NAMES[padIndex] as string);
  out.text(": ");
  out.uint(bits);
  out.byte(59);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
