// Bob Jenkins' lookup3 hash as the kernel's include/linux/jhash.h computes it
// (jhash over bytes read as little-endian words; jhash2 over u32 words is the
// same function for lengths that are a multiple of 4). The emulated bloom
// filter uses it so that, with a zero seed, it sets the same bits as the
// kernel's and answers membership exactly as the kernel's does.

const INITVAL = 0xdeadbeef;

function rol(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** jhash(key, key.length, initval) of the kernel, as an unsigned 32-bit number. */
export function jhash(key: Uint8Array, initval: number): number {
  let length = key.byteLength;
  let a = (INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let k = 0;
  const word = (o: number): number => (key[o] as number) | ((key[o + 1] as number) << 8) | ((key[o + 2] as number) << 16) | ((key[o + 3] as number) << 24);
  while (length > 12) {
    a = (a + word(k)) | 0;
    b = (b + word(k + 4)) | 0;
    c = (c + word(k + 8)) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c >>> 0;
  // The tail: up to 12 bytes added into a, b, c by position (the kernel's fall-through switch).
  for (let i = length - 1; i >= 0; i--) {
    const byte = (key[k + i] as number) << ((i % 4) * 8);
    if (i >= 8) c = (c + byte) | 0;
    else if (i >= 4) b = (b + byte) | 0;
    else a = (a + byte) | 0;
  }
  // __jhash_final
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}
