// The result of resolving one CO-RE relocation: what to write into which
// instruction, and enough description to explain it in error messages.
import type { CoreReloKindName } from "../btf/ext.js";

/** One resolved CO-RE relocation, ready to be applied to its instruction. */
export interface CoreFixup {
  /** ELF section holding the instruction. */
  readonly section: string;
  /** Instruction slot index within the section (byte offset / 8). */
  readonly insnIndex: number;
  /** Relocation kind. */
  readonly kind: CoreReloKindName;
  /** The value the compiler assumed (computed over the local BTF). */
  readonly localValue: bigint;
  /** The value for the target kernel (0n when poisoned). */
  readonly targetValue: bigint;
  /** True when no target satisfies the relocation: the instruction becomes a call to an invalid helper. */
  readonly poisoned: boolean;
  /** Whether the instruction must currently hold `localValue` (libbpf refuses to patch otherwise). */
  readonly validate: boolean;
  /** Load/store width of the field locally and in the target (FIELD_BYTE_OFFSET only, else 0). */
  readonly localMemSize: number;
  readonly targetMemSize: number;
  /** True when the widths differ and the field is not an unsigned int or pointer: loads/stores through it are poisoned. */
  readonly memSizeMismatch: boolean;
  /** Local root type id. */
  readonly localTypeId: number;
  /** Target root type id, or undefined when nothing matched. */
  readonly targetTypeId: number | undefined;
  /** Name of the BTF the target was found in ("vmlinux", a module, a file), if any. */
  readonly targetName: string | undefined;
  /** The local access path, e.g. "struct task_struct.pid" or "enum pid_type::PIDTYPE_TGID". */
  readonly localPath: string;
  /** Raw access string of the record ("0:1:2"). */
  readonly accessString: string;
  /** Human description: kind, local access path, spec and target, e.g. `FIELD_BYTE_OFFSET struct task_struct.pid (0:67) → vmlinux [123] = 2456`. */
  readonly description: string;
}

/**
 * The fixup applied to instruction `insnIndex` of `section`, if any: lets a
 * loader turn the verifier's "invalid func unknown#195896080" into the
 * relocation that poisoned the instruction (its `description`).
 */
export function fixupAt(fixups: Iterable<CoreFixup>, section: string, insnIndex: number): CoreFixup | undefined {
  for (const f of fixups) if (f.section === section && f.insnIndex === insnIndex) return f;
  return undefined;
}
