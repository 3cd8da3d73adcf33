// Finds the BTF id of a kernel function by name in /sys/kernel/btf/vmlinux,
// for probes that must load against a real attach target (fentry). A plain
// walk over the type section with the BTF layer's header reader and record
// sizer: it runs once per process and needs no BTF model.
import { readFileSync } from "node:fs";
import { readBtfHeader, typeWordsOf, type BtfHeader } from "../btf/header.js";
import { BtfError } from "../btf/errors.js";
import { Kind, kindOf, recordWords, vlenOf } from "../btf/kinds.js";

/** The BTF id of FUNC `name` in the kernel's BTF, or undefined (no BTF, or no such function). */
export function vmlinuxFuncId(name: string, path = "/sys/kernel/btf/vmlinux"): number | undefined {
  let blob: Buffer;
  let h: BtfHeader;
  let words: Uint32Array;
  try {
    blob = readFileSync(path);
    const { header, littleEndian } = readBtfHeader(blob);
    h = header;
    if (h.hdrLen + h.typeOff + h.typeLen > blob.byteLength || h.typeLen % 4 !== 0) return undefined;
    words = typeWordsOf(blob, h, littleEndian);
  } catch (e) {
    if (e instanceof BtfError || (e as NodeJS.ErrnoException).code !== undefined) return undefined;
    throw e;
  }
  const strStart = h.hdrLen + h.strOff;
  const wanted = Buffer.from(`${name}\0`);
  for (let id = 1, pos = 0; pos + 3 <= words.length; id++) {
    const info = words[pos + 1] as number;
    const kind = kindOf(info);
    if (kind === Kind.Func) {
      const off = strStart + (words[pos] as number);
      if (blob.compare(wanted, 0, wanted.length, off, off + wanted.length) === 0) return id;
    }
    const length = recordWords(kind, vlenOf(info));
    if (Number.isNaN(length)) return undefined;
    pos += length;
  }
  return undefined;
}
