// Finds the BTF id of a kernel function by name in /sys/kernel/btf/vmlinux,
// for probes that must load against a real attach target (fentry). A plain
// walk over the type section: it runs once per process and needs no BTF model.
import { readFileSync } from "node:fs";

const KIND_FUNC = 12;

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

/** The BTF id of FUNC `name` in the kernel's BTF, or undefined (no BTF, or no such function). */
export function vmlinuxFuncId(name: string, path = "/sys/kernel/btf/vmlinux"): number | undefined {
  let blob: Buffer;
  try {
    blob = readFileSync(path);
  } catch {
    return undefined;
  }
  if (blob.byteLength < 24 || blob.readUInt16LE(0) !== 0xeb9f) return undefined;
  const hdrLen = blob.readUInt32LE(4);
  const typeStart = hdrLen + blob.readUInt32LE(8);
  const typeEnd = typeStart + blob.readUInt32LE(12);
  const strStart = hdrLen + blob.readUInt32LE(16);
  const wanted = Buffer.from(`${name}\0`);
  let pos = typeStart;
  for (let id = 1; pos + 12 <= typeEnd && typeEnd <= blob.byteLength; id++) {
    const info = blob.readUInt32LE(pos + 4);
    const kind = (info >>> 24) & 0x1f;
    if (kind === KIND_FUNC) {
      const off = strStart + blob.readUInt32LE(pos);
      if (blob.compare(wanted, 0, wanted.length, off, off + wanted.length) === 0) return id;
    }
    pos += 12 + extraBytes(kind, info & 0xffff);
  }
  return undefined;
}
