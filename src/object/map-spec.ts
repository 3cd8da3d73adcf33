// The map entries of an ObjectSpec: a MapSpec (what BPF_MAP_CREATE needs)
// plus where the map came from in the object and what it is initialised with.
import type { MapSpec } from "../map/spec.js";
import type { StructOpsSpec } from "./struct-ops.js";

/** iproute2's `pinning` values of `struct bpf_elf_map`. */
export const Iproute2Pinning = {
  /** Not pinned. */
  None: 0,
  /** tc pins it under /sys/fs/bpf/tc/<hash of the object>/: no libbpf equivalent, the loader asks for a choice. */
  ObjectNamespace: 1,
  /** tc pins it under /sys/fs/bpf/tc/globals/<name>: tsbpf pins it by name (`pinning: "by-name"`) under pinPath. */
  GlobalNamespace: 2,
} as const;

/**
 * The fields iproute2's 36-byte `struct bpf_elf_map` adds after libbpf's 20-byte
 * `struct bpf_map_def` (legacy `maps` definitions of tc/iproute2 objects).
 */
export interface Iproute2MapFields {
  /** The map's id within the object (0: none), what `innerId` of an outer map refers to. */
  readonly id: number;
  /** An Iproute2Pinning value. */
  readonly pinning: number;
  /** Map-in-maps: the id of the map that is the template of their inner maps. */
  readonly innerId: number;
  /** A map with an id is stored at this slot of every outer map whose innerId is that id (0xffffffff: nowhere). */
  readonly innerIdx: number;
}

/** Where a map of an object comes from. */
export type ObjectMapKind =
  /** A BTF-defined map in `.maps`. */
  | "btf"
  /** A legacy `struct bpf_map_def` in the `maps` section. */
  | "legacy"
  /** Global data: `.data`, `.data.*`. */
  | "data"
  /** Read-only global data: `.rodata`, `.rodata.*` (frozen after load). */
  | "rodata"
  /** Zero-initialised global data: `.bss`, `.bss.*`. */
  | "bss"
  /** The `.kconfig` externs, filled by the loader from the kernel config. */
  | "kconfig"
  /** A struct_ops variable in `.struct_ops` / `.struct_ops.link` (STRUCT_OPS map named after it). */
  | "struct_ops";

/** A map described by an object file. Editable before load. */
export interface ObjectMapSpec extends MapSpec {
  /** Kernel-visible name (for global data, libbpf's "<object prefix>.rodata" form, at most 15 characters). */
  name: string;
  /** Kind of definition. */
  readonly kind: ObjectMapKind;
  /** ELF section the definition lives in (".maps", "maps", ".rodata", ".data.foo" …). */
  readonly sectionName: string;
  /** Byte offset of the definition in its section (0 for global data). */
  readonly sectionOffset: number;
  /**
   * Global data: the initial contents of the single value (a private copy;
   * VariableSpec.set writes here). Zero-filled for .bss and .kconfig.
   */
  initialValue?: Uint8Array;
  /**
   * Static initialisation of prog arrays and map-in-maps (`.values = { [2] = &prog }`):
   * slot index → program name (prog arrays) or map name (map-in-map). Holes are undefined.
   */
  initialSlots?: (string | undefined)[];
  /** Inner map template of map-in-maps (named "<outer>.inner"). */
  innerMap?: ObjectMapSpec;
  /**
   * struct_ops maps: the object's struct and which members point at which
   * programs (initialValue holds the struct's bytes as the object lays them out).
   */
  structOps?: StructOpsSpec;
  /**
   * Legacy `maps` definitions in iproute2's 36-byte layout: its extra fields as
   * read. `pinning` and map-in-map wiring are already applied to this spec
   * (GlobalNamespace → `pinning: "by-name"`; innerId → `innerMap`; innerIdx → the
   * outer map's `initialSlots`); ObjectNamespace must be decided by setting
   * `pinning` before load.
   */
  readonly iproute2?: Iproute2MapFields;
}
