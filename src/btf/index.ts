// BTF: the type model, parser, encoder, .BTF.ext, kernel BTF discovery and loading.
export { Btf, BTF_MAGIC, type BtfParseOptions, type BtfHeader } from "./btf.js";
export { BtfError, BtfLoadError } from "./errors.js";
export { BtfKindId, kindNames, MAX_KIND, type BtfKind } from "./kinds.js";
export type * from "./types.js";
export { StringTable } from "./strings.js";
export { MAX_RESOLVE_DEPTH } from "./layout.js";
export { parseBtfExt, CoreReloKind, type BtfExt, type FuncInfo, type LineInfo, type CoreRelo, type CoreReloKindName } from "./ext.js";
export { btfFromElf, type ElfBtf } from "./elf.js";
export { encodeBtf, type BtfEncodeOptions } from "./encode.js";
export {
  kernelBtf, parseKernelBtf, flushKernelBtfCache, loadBtfFile, moduleBtf, moduleBtfNames, vmlinuxSearchPaths, SYSFS_BTF_DIR,
  type BtfFileOptions,
} from "./discovery.js";
export {
  loadBtf, btfInfo, readBtfFd, readKernelBtfById, kernelBtfIds, openKernelBtfByName,
  type BtfLoadOptions, type KernelBtfInfo, type ReadBtfOptions,
} from "./kernel.js";
// BTF dumpers: vmlinux.h (C), bpftool's raw text/JSON, and values formatted by type.
export { dumpC, dumpCText, type DumpCOptions } from "./dump-c.js";
export { dumpRaw, type DumpRawOptions } from "./dump-raw.js";
export { formatValueJson, writeBtfValue, jsonwString, type FormatValueOptions } from "./format-value.js";
export { JsonWriter } from "./json-writer.js";
// The BTF-driven codec: values of any BTF type ⇄ plain JavaScript values.
export { BtfCodec, type CodecOptions } from "./codec/index.js";
