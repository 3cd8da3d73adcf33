// A hand-built BTF blob for map tests that need key/value type ids (local
// storage maps, spin-locked values) before the BTF layer exists. The layout
// follows include/uapi/linux/btf.h: a 24-byte header, the type section, the
// string section.
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { BtfLoadAttr, Cmd } from "../../src/sys/layouts.js";
import { bpfRaw } from "../../src/sys/syscall.js";
import { FD } from "../../src/sys/fd.js";

/** Type ids in the blob built by {@link loadTestBtf}. */
export const TEST_BTF = {
  /** `int` (4 bytes, signed). */
  INT: 1,
  /** `unsigned long long` (8 bytes). */
  U64: 2,
  /** `struct bpf_spin_lock { int val; }`. */
  SPIN_LOCK: 3,
  /** `struct locked_val { struct bpf_spin_lock lock; int data; }` (8 bytes). */
  LOCKED_VAL: 4,
} as const;

const KIND_INT = 1;
const KIND_STRUCT = 4;
const INT_SIGNED = 1;

class BlobWriter {
  readonly words: number[] = [];
  readonly strings: number[] = [0];
  str(s: string): number {
    const off = this.strings.length;
    for (const c of Buffer.from(s, "utf8")) this.strings.push(c);
    this.strings.push(0);
    return off;
  }
  int(name: string, size: number, signed: boolean): void {
    this.words.push(this.str(name), KIND_INT << 24, size, ((signed ? INT_SIGNED : 0) << 24) | (size * 8));
  }
  struct(name: string, size: number, members: [string, number, number][]): void {
    this.words.push(this.str(name), (KIND_STRUCT << 24) | members.length, size);
    for (const [m, type, bitOffset] of members) this.words.push(this.str(m), type, bitOffset);
  }
}

/** The raw bytes of the test BTF. */
export function testBtfBytes(): Uint8Array {
  const w = new BlobWriter();
  w.int("int", 4, true);
  w.int("unsigned long long", 8, false);
  w.struct("bpf_spin_lock", 4, [["val", TEST_BTF.INT, 0]]);
  w.struct("locked_val", 8, [["lock", TEST_BTF.SPIN_LOCK, 0], ["data", TEST_BTF.INT, 32]]);
  const typeLen = w.words.length * 4;
  const strLen = w.strings.length;
  const out = stableBytes(24 + typeLen + strLen);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1); // version
  v.setUint8(3, 0); // flags
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true); // str_off
  v.setUint32(20, strLen, true);
  w.words.forEach((word, i) => v.setUint32(24 + i * 4, word >>> 0, true));
  out.set(w.strings, 24 + typeLen);
  return out;
}

/** Loads the test BTF with BPF_BTF_LOAD; throws with the verifier log on failure. */
export function loadTestBtf(): FD {
  const blob = testBtfBytes();
  const log = stableBytes(64 * 1024);
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", blob).set("btf_size", blob.byteLength);
  attr.setPointer("btf_log_buf", log).set("btf_log_size", log.byteLength).set("btf_log_level", 1);
  const r = bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
  if (r < 0) {
    const text = Buffer.from(log).toString("utf8").replace(/\0.*$/s, "");
    throw new Error(`BPF_BTF_LOAD failed: errno ${-r}\n${text}`);
  }
  return new FD(r, "btf fd");
}
