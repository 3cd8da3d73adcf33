// The map entries of an ObjectSpec: a MapSpec (what BPF_MAP_CREATE needs)
// plus where the map came from in the object and what it is initialised with.
import type { MapSpec } from "../map/spec.js";
import type { StructOpsSpec } from "./struct-ops.js";

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
}
