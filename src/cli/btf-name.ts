// The name of one type in a raw BTF blob, found by walking the type
// section. The CLI needs only this (a program's full name is the name of
// its main FUNC), so it avoids depending on the full BTF model.

/** Bytes after the 12-byte header of each kind's record, by kind and vlen. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4; // INT, VAR, DECL_TAG
    case 3: return 12; // ARRAY
    case 4: case 5: case 15: case 19: return 12 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 8 * vlen; // ENUM, FUNC_PROTO
    default: return 0;
  }
}

/** The name of type `id` in a standalone little-endian BTF blob, or undefined. */
export function btfTypeName(blob: Uint8Array, id: number): string | undefined {
  if (blob.byteLength < 24) return undefined;
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (v.getUint16(0, true) !== 0xeb9f) return undefined;
  const hdrLen = v.getUint32(4, true);
  const typeStart = hdrLen + v.getUint32(8, true);
  const typeEnd = typeStart + v.getUint32(12, true);
  const strStart = hdrLen + v.getUint32(16, true);
  const strEnd = strStart + v.getUint32(20, true);
  if (typeEnd > blob.byteLength || strEnd > blob.byteLength) return undefined;
  let pos = typeStart;
  for (let cur = 1; pos + 12 <= typeEnd; cur++) {
    const info = v.getUint32(pos + 4, true);
    if (cur === id) {
      const off = strStart + v.getUint32(pos, true);
      if (off >= strEnd) return undefined;
      const end = blob.indexOf(0, off);
      return new TextDecoder().decode(blob.subarray(off, end < 0 || end > strEnd ? strEnd : end));
    }
    pos += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
  }
  return undefined;
}
