// Program BTF sanitised for the running kernel: the loader's policy over the
// BTF layer's patcher (btf/patch.ts does the rewriting, features/btf-kinds.ts
// knows which kinds the kernel accepts). Type ids and string offsets survive
// sanitising, so func_info/line_info and map key/value ids stay valid.
import { Btf } from "../btf/btf.js";
import { patchBtf, supportsAllKinds } from "../btf/patch.js";
import { probeBtfSupport, type BtfKernelSupport } from "../features/btf-kinds.js";

export { probeBtfSupport, overrideBtfSupport, type BtfKernelSupport } from "../features/btf-kinds.js";
export { ENUM64_PLACEHOLDER } from "../btf/patch.js";

/**
 * Whether programs may be loaded with the object's BTF (prog_btf_fd,
 * func_info, line_info): not on kernels without BTF_KIND_FUNC (before 5.0),
 * where sanitised FUNCs are TYPEDEFs — libbpf then loads programs without BTF.
 */
export function programBtfSupported(support: BtfKernelSupport = probeBtfSupport()): boolean {
  return support.func;
}

/**
 * `raw` (BTF as ObjectSpec.btfForKernel gives it) with what the kernel does
 * not support rewritten, as libbpf's bpf_object__sanitize_btf does (see
 * patchBtf's `supported` option). Returns `raw` itself when nothing needs
 * changing; throws BtfError for malformed BTF.
 */
export function sanitizeBtf(raw: Uint8Array, support: BtfKernelSupport = probeBtfSupport()): Uint8Array {
  if (supportsAllKinds(support)) return raw;
  return patchBtf(new Btf(raw), { supported: support });
}
