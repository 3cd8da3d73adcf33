// C strings at the syscall boundary: the kernel hands names and logs back as
// NUL-terminated bytes (char name[16], log buffers, link info paths) and
// takes paths and names as pointers to NUL-terminated bytes.
import { stableBytes } from "./attr.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Decodes the UTF-8 C string starting at `offset` in `bytes`: it ends at the
 * first NUL, or after `maxLength` bytes (default: the rest of `bytes`) when
 * the field is full and carries no NUL, as with a 16-byte name of 16 bytes.
 */
export function readCString(bytes: Uint8Array, offset = 0, maxLength = bytes.length - offset): string {
  const field = bytes.subarray(offset, offset + maxLength);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

/**
 * Encodes `text` as UTF-8 plus a terminating NUL in a buffer whose address
 * never moves, so it can be passed to the kernel by pointer.
 */
export function cString(text: string): Uint8Array {
  const encoded = encoder.encode(text);
  const out = stableBytes(encoded.length + 1);
  out.set(encoded);
  return out;
}
