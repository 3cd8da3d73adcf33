// char arrays as strings (the UTF-8 text up to the first NUL; written
// NUL-padded) and byte arrays as Uint8Array copies. Text is read straight
// from the source memory through a Buffer view: no slice of the bytes first.
import { Buffer } from "node:buffer";
import { describeValue } from "../../sys/arguments.js";
import { FitError, type Plan } from "./context.js";
import type { BytesShape, StringShape } from "./shape.js";

/** Below this length the NUL is searched by a loop; above, by Buffer.indexOf (memchr). */
const SHORT_TEXT = 24;

/** char[N] ⇄ string. Writes refuse text longer than N bytes in UTF-8 or containing a NUL. */
export function stringPlan(s: StringShape): Plan {
  const n = s.length;
  return {
    size: n,
    decode: (c, at) => {
      const b = c.b;
      let end = at;
      if (n <= SHORT_TEXT) {
        const stop = at + n;
        while (end < stop && b[end] !== 0) end++;
      } else {
        end = b.indexOf(0, at);
        if (end < 0 || end > at + n) end = at + n;
      }
      return end === at ? "" : b.toString("utf8", at, end);
    },
    encode: (c, at, x) => {
      if (typeof x === "string") {
        if (x.includes("\0")) throw new FitError(`the string contains a NUL character, which would end it in ${s.name}`);
        // UTF-8 takes at most 3 bytes per UTF-16 unit: only a string that might not fit is measured.
        if (x.length * 3 > n) {
          const bytes = Buffer.byteLength(x, "utf8");
          if (bytes > n) throw new FitError(`${bytes} bytes do not fit ${s.name}`);
        }
        if (x.length !== 0) c.b.write(x, at, n, "utf8");
        return;
      }
      if (x instanceof Uint8Array) return copyBytes(c.b, at, x, n, s.name);
      throw new FitError(`expected a string (or a Uint8Array of ${n} bytes) for ${s.name}, got ${describeValue(x)}`);
    },
  };
}

/** u8[N] (or char[N] with chars: "bytes") ⇄ a Uint8Array copy of N bytes. */
export function bytesPlan(s: BytesShape): Plan {
  const n = s.length;
  return {
    size: n,
    decode: (c, at) => new Uint8Array(c.v.buffer, c.v.byteOffset + at, n).slice(),
    encode: (c, at, x) => {
      if (x instanceof Uint8Array) return copyBytes(c.b, at, x, n, s.name);
      throw new FitError(`expected a Uint8Array of ${n} bytes for ${s.name}, got ${describeValue(x)}`);
    },
  };
}

function copyBytes(target: Uint8Array, at: number, x: Uint8Array, n: number, name: string): void {
  if (x.byteLength !== n) throw new FitError(`a Uint8Array of ${x.byteLength} bytes does not fit ${name} (exactly ${n} bytes)`);
  target.set(x, at);
}
