// The options of Collection.load, in their own file so the loader
// (collection/loader.ts) and Collection (collection.ts) share them without
// importing each other.
import type { Btf } from "../btf/btf.js";
import type { Map as BpfMap } from "../map.js";
import type { AttachTarget } from "../program/attach-target.js";

/** Options of Collection.load. */
export interface CollectionLoadOptions {
  /**
   * CO-RE target: a Btf or the path of a BTF file (raw BTF or an ELF with
   * .BTF) to relocate against instead of the running kernel's BTF.
   *
   * It covers CO-RE relocations only (field offsets, type and enum
   * existence and values), and with it module BTF is not searched. Every
   * other step still asks the running kernel's BTF, because the kernel
   * checks its own ids: ksym and kfunc externs (vmlinux and module BTF ids),
   * struct_ops maps (the kernel struct and its `bpf_struct_ops_*` value
   * type), and the attach BTF id of tp_btf, fentry/fexit/fmod_ret, LSM and
   * iterator programs.
   */
  btf?: Btf | string;
  /** Directory for LIBBPF_PIN_BY_NAME maps (default /sys/fs/bpf, as libbpf). */
  pinPath?: string;
  /** Existing maps to use instead of creating them, by map name (borrowed: not closed by the collection). */
  mapReplacements?: ReadonlyMap<string, BpfMap> | Readonly<Record<string, BpfMap>>;
  /**
   * Names of the programs to load (default: every program with autoload set).
   * A prog-array slot initialised with a program left out stays empty (see
   * `warnings`); a struct_ops member whose program is left out is refused.
   */
  programs?: readonly string[];
  /**
   * Targets of freplace (and fentry/fexit-on-BPF) programs by program name:
   * the loaded program and the function in it to replace or trace (default:
   * the function the SEC() name gives). Every freplace program needs one.
   */
  attachTargets?: ReadonlyMap<string, AttachTarget> | Readonly<Record<string, AttachTarget>>;
  /** Verifier log level for every program (Program.verifierLog keeps the log). */
  logLevel?: number;
  /**
   * Called with one line per loader decision, like libbpf's debug prints:
   * the CO-RE target, each CO-RE relocation (instruction, kind, local access
   * path → target and value, or poisoned), each map created, reused from a
   * pin or replaced, each program loaded, and each warning. For diagnosis
   * only: the wording may change between versions. `tsbpf -d` prints them.
   */
  debug?: (message: string) => void;
}
