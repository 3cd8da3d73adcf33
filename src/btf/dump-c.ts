// The vmlinux.h generator: BTF → C header, byte-identical to
// `bpftool btf dump file F format c` (bpftool 7.x / libbpf 1.x btf_dump).
import type { Btf } from "./btf.js";
import { ByteSink } from "./dump-c/byte-sink.js";
import { CDefinitionEmitter } from "./dump-c/emit.js";
import { RawView } from "./dump-c/raw-view.js";

/** Options for {@link dumpC}. */
export interface DumpCOptions {
  /** Only these types (and what they need); default: every type, in id order. */
  readonly rootIds?: readonly number[];
  /** Receives the header in large chunks as it is produced; dumpC then returns an empty array. */
  readonly onChunk?: (chunk: Uint8Array) => void;
}

const HEADER =
  "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n" +
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n" +
  "#endif\n\n";

const FOOTER =
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n";

/**
 * Renders BTF as a C header (UTF-8 bytes) that clang compiles; BPF programs
 * include it as vmlinux.h. Records get `preserve_access_index` so CO-RE
 * relocates their field accesses. Pure: no syscalls. Throws BtfError on
 * malformed BTF (for example a type cycle no forward declaration breaks).
 */
export function dumpC(btf: Btf, options: DumpCOptions = {}): Uint8Array {
  const raw = RawView.of(btf);
  const sink = new ByteSink(raw.strings, options.onChunk);
  sink.text(HEADER);
  const emitter = new CDefinitionEmitter(raw, sink);
  if (options.rootIds) {
    for (const id of options.rootIds) emitter.dumpType(id);
  } else {
    for (let id = 1; id <= raw.lastId; id++) emitter.dumpType(id);
  }
  sink.text(FOOTER);
  return sink.finish();
}

/** {@link dumpC} as a string. */
export function dumpCText(btf: Btf, options: Omit<DumpCOptions, "onChunk"> = {}): string {
  return new TextDecoder().decode(dumpC(btf, options));
}
