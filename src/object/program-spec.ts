// A program of an object file: the SEC()-derived load attributes (editable
// before load) and the linked instructions with their references.
import { decode, encode, type ByteOrder } from "../asm/encoding.js";
import type { Instruction } from "../asm/instruction.js";
import { AttachType, ProgramType, type ProgramSpec } from "../program/index.js";
import { ObjectError, UnknownSectionError } from "./errors.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import type { SlotCoreRelo, SlotFuncInfo, SlotLineInfo } from "./functions.js";
import type { LinkedCode } from "./link.js";
import type { InstructionReference } from "./references.js";
import { sectionLoadFlags, sectionType, type SectionType } from "./section-types.js";

/** An explicit program type for a program or a section (the `programTypes` option). */
export interface ProgramTypeOverride {
  type: ProgramType;
  expectedAttachType?: AttachType | 0;
  /** BPF_PROG_LOAD flags (ProgramFlags bits); default 0. */
  flags?: number;
}

/** One program of an object, with its subprograms linked in. */
export class ObjectProgramSpec {
  /** Function name (the C identifier). */
  readonly name: string;
  /** SEC() name, without libbpf's '?' prefix. */
  readonly sectionName: string;
  /** What the SEC() name means per libbpf's conventions; undefined when it follows none. */
  readonly section: SectionType | undefined;
  /** Load with the collection (false for SEC("?…") programs). */
  autoload: boolean;
  /** Raw linked instructions, in the object's byte order (8 bytes a slot). */
  readonly bytes: Uint8Array;
  /** Byte order of `bytes` (the object's). */
  readonly byteOrder: ByteOrder;
  /** Symbolic references by instruction slot (ld_imm64 takes two slots; its reference is on the first). */
  readonly references: ReadonlyMap<number, InstructionReference>;
  /** Subprograms appended after the program's own code, in order. */
  readonly subprograms: readonly string[];
  /** Number of slots of the program's own code (subprograms follow). */
  readonly ownSlots: number;
  /** func_info records of the linked stream (slot-based). */
  readonly funcInfos: readonly SlotFuncInfo[];
  /** line_info records of the linked stream (slot-based). */
  readonly lineInfos: readonly SlotLineInfo[];
  /** CO-RE relocation records of the linked stream (slot-based), for the loader. */
  readonly coreRelocations: readonly SlotCoreRelo[];
  /** License of the object ("GPL" …). */
  license: string;
  /** Kernel version of the object's `version` section (only old kprobe loading checks it). */
  kernelVersion: number | undefined;
  /**
   * For SEC("usdt…") programs left without an expected attach type: load them
   * for uprobe_multi links (TraceUprobeMulti) where the kernel has them, as
   * libbpf does, so attachUsdt puts every site of a probe in one link. Set
   * false before load to keep one uprobe per site (a program loaded for
   * uprobe_multi cannot attach as a single uprobe). A non-zero expected
   * attach type set with setType() always wins.
   */
  usdtUprobeMulti = true;
  #type: ProgramType | undefined;
  #expectedAttachType: AttachType | 0;
  #flags: number;
  #instructions: Instruction[] | undefined;
  #attachTo: string | undefined;

  /** @internal Built by ObjectSpec.parse. */
  constructor(init: {
    name: string; sectionName: string; autoload: boolean; ownSlots: number; code: LinkedCode; byteOrder: ByteOrder;
    license: string; kernelVersion: number | undefined; override: ProgramTypeOverride | undefined;
  }) {
    this.name = init.name;
    this.sectionName = init.sectionName;
    this.section = sectionType(init.sectionName);
    this.autoload = init.autoload;
    this.bytes = init.code.bytes;
    this.byteOrder = init.byteOrder;
    this.references = init.code.references;
    this.subprograms = init.code.subprograms;
    this.ownSlots = init.ownSlots;
    this.funcInfos = init.code.funcInfos;
    this.lineInfos = init.code.lineInfos;
    this.coreRelocations = init.code.coreRelos;
    this.license = init.license;
    this.kernelVersion = init.kernelVersion;
    this.#type = this.section?.type;
    this.#expectedAttachType = this.section?.expectedAttachType ?? 0;
    this.#flags = this.section ? sectionLoadFlags(this.section) : 0;
    if (init.override) this.setType(init.override.type, init.override.expectedAttachType, init.override.flags);
  }

  /** True when the type is known (from the SEC() name or set explicitly). */
  get hasType(): boolean {
    return this.#type !== undefined;
  }

  /** Program type; UnknownSectionError when the SEC() name gave none and none was set. */
  get type(): ProgramType {
    if (this.#type === undefined) throw new UnknownSectionError(this.sectionName, this.name);
    return this.#type;
  }

  /** Expected attach type (0 when none). */
  get expectedAttachType(): AttachType | 0 {
    return this.#expectedAttachType;
  }

  /** BPF_PROG_LOAD flags (ProgramFlags: SLEEPABLE for ".s" sections, XDP_HAS_FRAGS for "xdp.frags" …). */
  get flags(): number {
    return this.#flags;
  }
  /** Sets the BPF_PROG_LOAD flags (before load). */
  set flags(value: number) {
    this.#flags = value >>> 0;
  }

  /**
   * What to attach to: from the SEC() name ("do_unlinkat", "syscalls/sys_enter_openat"), unless set.
   * Setting it before load retargets the program, as libbpf's bpf_program__set_attach_target() does
   * for a kernel function: tools ship `SEC("fentry/dummy_file_read")` and pick the real function at
   * run time. (A function of a loaded BPF program is given with Collection.load's `attachTargets`.)
   */
  get attachTo(): string | undefined {
    return this.#attachTo ?? this.section?.attachTo;
  }
  /** Retargets the program before load; `undefined` returns to the SEC() name's target. */
  set attachTo(target: string | undefined) {
    if (target !== undefined && (typeof target !== "string" || target === "" || target.includes("\0"))) {
      throw new InvalidArgumentError(`program '${this.name}': attachTo must be a non-empty name, got ${describeValue(target)}`, "attachTo");
    }
    this.#attachTo = target;
  }

  /** Whether the program may sleep (BPF_F_SLEEPABLE, Linux 5.10+). */
  get sleepable(): boolean {
    return (this.#flags & 16) !== 0;
  }

  /** Overrides the program type (and attach type/flags) derived from the SEC() name; call before load. */
  setType(type: ProgramType, expectedAttachType: AttachType | 0 = 0, flags?: number): void {
    this.#type = type;
    this.#expectedAttachType = expectedAttachType;
    if (flags !== undefined) this.#flags = flags >>> 0;
  }

  /** The linked instructions, decoded (ld_imm64 is one Instruction over two slots). */
  get instructions(): readonly Instruction[] {
    this.#instructions ??= decode(this.bytes, this.byteOrder);
    return this.#instructions;
  }

  /** Number of 8-byte slots of the linked program. */
  get slotCount(): number {
    return this.bytes.byteLength / 8;
  }

  /**
   * A ProgramSpec for Program.load. Only for programs whose references are
   * all resolved by linking (no maps, global data or externs); others need
   * the collection loader. Instructions are re-encoded in the host order.
   */
  toProgramSpec(): ProgramSpec {
    const pending = [...this.references.values()].filter((r) => r.kind !== "call" && r.kind !== "function");
    if (pending.length > 0) {
      throw new ObjectError(
        `program '${this.name}' refers to ${pending.length} map/data/extern symbol(s); load it through the collection loader`,
        { symbol: this.name, section: this.sectionName },
      );
    }
    const hostLe = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    const hostOrder: ByteOrder = hostLe ? "le" : "be";
    const instructions = this.byteOrder === hostOrder ? this.bytes.slice() : encode(this.instructions, hostOrder);
    const spec: ProgramSpec = { type: this.type, instructions, license: this.license, name: this.name };
    if (this.#expectedAttachType !== 0) spec.expectedAttachType = this.#expectedAttachType;
    if (this.#flags) spec.flags = this.#flags;
    if (this.kernelVersion !== undefined) spec.kernelVersion = this.kernelVersion;
    return spec;
  }
}
