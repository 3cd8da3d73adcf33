// Program BTF sanitised for the running kernel: libbpf probes which BTF
// kinds the kernel accepts and rewrites the ones it does not into kinds it
// does, keeping every record's size so type ids and string offsets (and so
// func_info/line_info) stay valid.
import { Attr, stableBytes } from "../sys/attr.js";
import { BtfLoadAttr, Cmd } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { native } from "../sys/native.js";
import { SYS } from "../sys/syscall.js";

/** BTF kinds (uapi numbers) whose support differs between kernels. */
const K = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;

/** What the running kernel's BTF loader accepts. */
export interface BtfKernelSupport {
  /** BTF_KIND_FUNC with global linkage (Linux 5.6). */
  globalFunc: boolean;
  /** BTF_KIND_FLOAT (5.13). */
  float: boolean;
  /** BTF_KIND_DECL_TAG (5.16). */
  declTag: boolean;
  /** BTF_KIND_TYPE_TAG (5.17). */
  typeTag: boolean;
  /** BTF_KIND_ENUM64 (6.0). */
  enum64: boolean;
}

const info = (kind: number, vlen: number, kflag = 0): number => ((kflag << 31) | (kind << 24) | vlen) >>> 0;

/** Builds a raw BTF blob from u32 type words and a string table. */
function blob(types: number[], strings: string): Uint8Array {
  const str = new TextEncoder().encode(strings);
  const out = new Uint8Array(24 + types.length * 4 + str.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, types.length * 4, true);
  v.setUint32(16, types.length * 4, true);
  v.setUint32(20, str.byteLength, true);
  types.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
  out.set(str, 24 + types.length * 4);
  return out;
}

function kernelAccepts(bytes: Uint8Array): boolean {
  const data = stableBytes(bytes.byteLength);
  data.set(bytes);
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", data).set("btf_size", data.byteLength);
  const r = bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
  if (r < 0) return false;
  native.syscall(SYS.close, r);
  return true;
}

// [1] int (4 bytes, signed, 32 bits), strings: "\0int\0x\0"
const INT: number[] = [1, info(K.INT, 0), 4, (1 << 24) | 32];

let cached: BtfKernelSupport | undefined;

/** Probes (once per process) which BTF kinds the kernel accepts. */
export function probeBtfSupport(): BtfKernelSupport {
  cached ??= {
    // [2] func_proto void(void), [3] FUNC "x" global
    globalFunc: kernelAccepts(blob([...INT, 0, info(K.FUNC_PROTO, 0), 0, 5, info(K.FUNC, 1), 2], "\0int\0x\0")),
    // [2] float "x" 4 bytes
    float: kernelAccepts(blob([...INT, 5, info(K.FLOAT, 0), 4], "\0int\0x\0")),
    // [2] var "x" int, [3] decl_tag "x" on it (component -1)
    declTag: kernelAccepts(blob([...INT, 5, info(K.VAR, 0), 1, 0, 5, info(K.DECL_TAG, 0), 2, 0xffffffff], "\0int\0x\0")),
    // [2] type_tag "x" → int, [3] ptr → [2]
    typeTag: kernelAccepts(blob([...INT, 5, info(K.TYPE_TAG, 0), 1, 0, info(K.PTR, 0), 2], "\0int\0x\0")),
    // [2] enum64 "x" 8 bytes, one value
    enum64: kernelAccepts(blob([...INT, 5, info(K.ENUM64, 1), 8, 5, 0, 0], "\0int\0x\0")),
  };
  return cached;
}

/**
 * Rewrites unsupported kinds in a copy of `raw` (little-endian BTF as
 * ObjectSpec.btfForKernel gives it), as libbpf does: FUNC linkage global →
 * static, FLOAT → an empty STRUCT of the same size, DECL_TAG → a 1-byte INT,
 * TYPE_TAG → CONST, ENUM64 → a UNION of same-sized members of the enum's own
 * size (kernels before 6.0). Returns `raw` itself when nothing needs changing.
 */
export function sanitizeBtf(raw: Uint8Array, support: BtfKernelSupport = probeBtfSupport()): Uint8Array {
  if (support.globalFunc && support.float && support.declTag && support.typeTag && support.enum64) return raw;
  const out = raw.slice();
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const hdr = v.getUint32(4, true);
  const start = hdr + v.getUint32(8, true);
  const end = start + v.getUint32(12, true);
  let pos = start;
  while (pos < end) {
    const word = v.getUint32(pos + 4, true);
    const kind = (word >>> 24) & 0x1f;
    const vlen = word & 0xffff;
    let extra = 0;
    switch (kind) {
      case K.INT: case K.VAR: case K.DECL_TAG: extra = 4; break;
      case K.ARRAY: extra = 12; break;
      case K.STRUCT: case K.UNION: extra = vlen * 12; break;
      case K.ENUM: case K.FUNC_PROTO: extra = vlen * 8; break;
      case K.DATASEC: extra = vlen * 12; break;
      case K.ENUM64: extra = vlen * 12; break;
      default: extra = 0;
    }
    if (kind === K.FUNC && !support.globalFunc && vlen !== 0) v.setUint32(pos + 4, info(K.FUNC, 0), true);
    else if (kind === K.FLOAT && !support.float) v.setUint32(pos + 4, info(K.STRUCT, 0), true);
    else if (kind === K.DECL_TAG && !support.declTag) {
      v.setUint32(pos, 0, true);
      v.setUint32(pos + 4, info(K.INT, 0), true);
      v.setUint32(pos + 8, 1, true);
      v.setUint32(pos + 12, 8, true);
    } else if (kind === K.TYPE_TAG && !support.typeTag) {
      v.setUint32(pos, 0, true);
      v.setUint32(pos + 4, info(K.CONST, 0), true);
    } else if (kind === K.ENUM64 && !support.enum64) {
      // Same record size: 12-byte values become 12-byte members at offset 0.
      // Known gap: members get type 0 (libbpf appends an int type for them).
      v.setUint32(pos + 4, info(K.UNION, vlen), true);
      for (let i = 0; i < vlen; i++) {
        const m = pos + 12 + i * 12;
        v.setUint32(m + 4, 0, true);
        v.setUint32(m + 8, 0, true);
      }
    }
    pos += 12 + extra;
  }
  return out;
}
