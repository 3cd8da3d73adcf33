// A hand-encoded, minimal BTF blob for probes whose maps need BTF (the local
// storage maps want a BTF key and value type). Three types:
//   [1] int (signed, 32 bits)
//   [2] struct bpf_spin_lock { int val; }
//   [3] struct val { int cnt; struct bpf_spin_lock l; }
import { Attr, stableBytes } from "../sys/attr.js";
import { BtfLoadAttr, Cmd } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";

const BTF_MAGIC = 0xeb9f;
const KIND_INT = 1;
const KIND_STRUCT = 4;
const INT_SIGNED = 1;
const STRINGS = "\0bpf_spin_lock\0val\0cnt\0l\0";

/** Type id of `int` inside the probe BTF (the map key type). */
export const PROBE_BTF_INT = 1;
/** Type id of `struct val` inside the probe BTF (the map value type). */
export const PROBE_BTF_VALUE_STRUCT = 3;

function buildBlob(): Uint8Array {
  const words = [
    // [1] int
    0, (KIND_INT << 24) >>> 0, 4, (INT_SIGNED << 24) | 32,
    // [2] struct bpf_spin_lock { int val; }  (name at 1, "val" at 15)
    1, (KIND_STRUCT << 24) | 1, 4, 15, 1, 0,
    // [3] struct val { int cnt; struct bpf_spin_lock l; }  ("cnt" at 19, "l" at 23)
    15, (KIND_STRUCT << 24) | 2, 8, 19, 1, 0, 23, 2, 32,
  ];
  const typeLen = words.length * 4;
  const strings = new TextEncoder().encode(STRINGS);
  const blob = stableBytes(24 + typeLen + strings.length);
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1); // version
  v.setUint8(3, 0); // flags
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true); // str_off
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  blob.set(strings, 24 + typeLen);
  return blob;
}

/** Loads the probe BTF; returns the raw fd (caller closes) or -errno. */
export function loadProbeBtf(): number {
  const blob = buildBlob();
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", blob).set("btf_size", blob.byteLength);
  return bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
}
