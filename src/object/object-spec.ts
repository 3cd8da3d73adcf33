// ObjectSpec: everything a clang-built BPF object file describes — programs
// (linked with their subprograms), maps, global variables and externs — as
// editable plain data. Parsing does no syscalls; the collection loader turns
// an ObjectSpec into live kernel objects.
import path from "node:path";
import type { Btf } from "../btf/btf.js";
import { btfFromElf } from "../btf/elf.js";
import type { BtfExt } from "../btf/ext.js";
import type { ByteOrder } from "../asm/encoding.js";
import { readRegularFile } from "../elf/file.js";
import { ElfObject } from "./elf-object.js";
import { ObjectError, UnknownSectionError, asObjectError } from "./errors.js";
import { kconfigSize, readExterns, type ExternSpec } from "./externs.js";
import { readBtfMaps } from "./btf-maps.js";
import { readLegacyMaps } from "./legacy-maps.js";
import { datasecId, internalMap, readDataMaps } from "./data-maps.js";
import { MAX_VALUE_SIZE } from "../map/spec.js";
import { readFunctions } from "./functions.js";
import { namingExternUsers } from "./extern-users.js";
import { linkProgram } from "./link.js";
import type { ObjectMapSpec } from "./map-spec.js";
import { ObjectProgramSpec, type ProgramTypeOverride } from "./program-spec.js";
import { readVariables, VariableSpec } from "./variables.js";
import { btfFixups, type BtfFixups } from "./btf-fixup.js";
import { patchBtf, type BtfKindSupport } from "../btf/patch.js";
import { readStructOpsMaps } from "./struct-ops.js";
import { ProgramType } from "../program/types.js";

/** Options of ObjectSpec.parse. */
export interface ObjectParseOptions {
  /**
   * Object name, the prefix of global-data map names ("opensnoop_bpf" gives
   * "opensno.rodata"); at most 15 characters are used. Default "object", or
   * the file name up to its first '.' for loadObjectSpec.
   */
  name?: string;
  /**
   * Program types for programs whose SEC() name libbpf does not know, keyed
   * by program name or section name. Without one, such a program is an
   * UnknownSectionError (unless `allowUnknownSections`).
   */
  programTypes?: Readonly<Record<string, ProgramTypeOverride>>;
  /** Accept unknown SEC() names; their type must be set with program.setType() before load. */
  allowUnknownSections?: boolean;
}

const OBJ_NAME_MAX = 15;

/** @internal What ObjectSpec is built from. */
export interface ObjectSpecParts {
  name: string; byteOrder: ByteOrder; license: string; kernelVersion: number | undefined;
  programs: Map<string, ObjectProgramSpec>; maps: Map<string, ObjectMapSpec>; variables: Map<string, VariableSpec>;
  externs: Map<string, ExternSpec>; btf: Btf | undefined; btfExt: BtfExt | undefined; btfFixups: () => BtfFixups;
}

/** The parsed contents of a BPF object file. */
export class ObjectSpec {
  /** Object name (prefix of internal map names). */
  readonly name: string;
  /** Byte order of the object (instructions, data sections). */
  readonly byteOrder: ByteOrder;
  /** Contents of the `license` section ("" when absent). */
  readonly license: string;
  /** Contents of the `version` section, if any. */
  readonly kernelVersion: number | undefined;
  /** Main programs by name, in libbpf's order (section index, then offset). */
  readonly programs: ReadonlyMap<string, ObjectProgramSpec>;
  /**
   * Maps by name: BTF/legacy maps under their C name, global-data maps under
   * their section name (".rodata", ".data.cfg"), the kconfig map as ".kconfig",
   * struct_ops maps under their variable name.
   * Order: .maps, legacy maps, global data in section order, .kconfig, struct_ops.
   */
  readonly maps: ReadonlyMap<string, ObjectMapSpec>;
  /** Global variables of the data sections by name (the first one wins when static variables share a name). */
  readonly variables: ReadonlyMap<string, VariableSpec>;
  /** Externs by name, in libbpf's order (kconfig by alignment, then ksyms). */
  readonly externs: ReadonlyMap<string, ExternSpec>;
  /** The object's BTF, if it has any. */
  readonly btf: Btf | undefined;
  /** The object's .BTF.ext, if it has any. */
  readonly btfExt: BtfExt | undefined;

  /** @internal Use ObjectSpec.parse or loadObjectSpec. */
  constructor(init: ObjectSpecParts) {
    this.name = init.name;
    this.byteOrder = init.byteOrder;
    this.license = init.license;
    this.kernelVersion = init.kernelVersion;
    this.programs = init.programs;
    this.maps = init.maps;
    this.variables = init.variables;
    this.externs = init.externs;
    this.btf = init.btf;
    this.btfExt = init.btfExt;
    this.#btfFixups = init.btfFixups;
  }

  readonly #btfFixups: () => BtfFixups;

  /**
   * The object's BTF as BPF_BTF_LOAD accepts it: DATASEC sizes and variable
   * offsets filled in from the ELF file (clang leaves them zero), .kconfig laid
   * out like its map, .ksyms externs turned into allocated globals, `__hidden`
   * global subprograms marked static (verified with their callers) — libbpf's fix-up,
   * in the host byte order. Records are patched in place: type ids and string
   * offsets are unchanged, so the object's func_info/line_info stay valid.
   * Given `supported` (what the target kernel's BTF loader accepts), kinds it
   * lacks are sanitised in the same pass, with the same bytes as sanitising
   * the result afterwards.
   */
  btfForKernel(supported?: BtfKindSupport): Uint8Array | undefined {
    return this.btf ? patchBtf(this.btf, { ...this.#btfFixups(), supported }) : undefined;
  }

  /**
   * Parses a clang-built BPF ELF object (EM_BPF, either byte order). Throws
   * ObjectError for malformed objects and UnknownSectionError for programs in
   * sections with no known program type; never anything else.
   */
  static parse(bytes: Uint8Array, options: ObjectParseOptions = {}): ObjectSpec {
    try {
      return parseObject(bytes, options);
    } catch (e) {
      if (e instanceof ObjectError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new ObjectError(`invalid BPF object: ${message}`, { cause: e });
    }
  }

  /**
   * A deep copy of what is editable: programs (autoload, type, flags,
   * license, instructions), maps (every field, initial values and slots,
   * inner map templates) and variables (over the copy's maps). Editing the
   * copy leaves this spec alone, so one parsed object can be loaded several
   * ways. The BTF, .BTF.ext and externs are read-only and shared.
   */
  copy(): ObjectSpec {
    const maps = new Map([...this.maps].map(([key, m]) => [key, copyMapSpec(m)]));
    const littleEndian = this.byteOrder === "le";
    const variables = new Map([...this.variables].map(([name, v]) => [name, new VariableSpec({
      name: v.name, offset: v.offset, size: v.size, typeId: v.typeId, isStatic: v.isStatic,
      map: this.#dataMap(maps, v), littleEndian, btf: this.btf,
    })]));
    return new ObjectSpec({
      name: this.name, byteOrder: this.byteOrder, license: this.license, kernelVersion: this.kernelVersion,
      programs: new Map([...this.programs].map(([name, p]) => [name, copyProgramSpec(p)])),
      maps, variables, externs: new Map(this.externs), btf: this.btf, btfExt: this.btfExt, btfFixups: this.#btfFixups,
    });
  }

  /** The copied data map a variable lives in (data maps are keyed by their section name, as the loader finds them). */
  #dataMap(copies: ReadonlyMap<string, ObjectMapSpec>, v: VariableSpec): ObjectMapSpec {
    const m = copies.get(v.sectionName);
    if (!m) throw new ObjectError(`variable '${v.name}' lives in section '${v.sectionName}', which has no map`, { symbol: v.name });
    return m;
  }

  /** The program named `name`; ObjectError when there is none. */
  program(name: string): ObjectProgramSpec {
    const p = this.programs.get(name);
    if (!p) throw new ObjectError(`the object has no program '${name}'`, { symbol: name });
    return p;
  }

  /** The map named `name` (C name, or section name for global data); ObjectError when there is none. */
  map(name: string): ObjectMapSpec {
    const m = this.maps.get(name);
    if (!m) throw new ObjectError(`the object has no map '${name}'`, { symbol: name });
    return m;
  }

  /** The global variable named `name`; ObjectError when there is none. */
  variable(name: string): VariableSpec {
    const v = this.variables.get(name);
    if (!v) throw new ObjectError(`the object has no global variable '${name}'`, { symbol: name });
    return v;
  }
}

/** A map spec with its own initial value, slots and inner map template. */
function copyMapSpec(m: ObjectMapSpec): ObjectMapSpec {
  const out: ObjectMapSpec = { ...m };
  if (m.initialValue) out.initialValue = m.initialValue.slice();
  if (m.initialSlots) out.initialSlots = [...m.initialSlots];
  if (m.innerMap) out.innerMap = copyMapSpec(m.innerMap);
  return out;
}

/** A program spec with its own load attributes and instruction bytes (the reference tables are read-only and shared). */
function copyProgramSpec(p: ObjectProgramSpec): ObjectProgramSpec {
  const copy = new ObjectProgramSpec({
    name: p.name, sectionName: p.sectionName, autoload: p.autoload, ownSlots: p.ownSlots, byteOrder: p.byteOrder,
    code: { bytes: p.bytes.slice(), references: p.references, subprograms: p.subprograms, funcInfos: p.funcInfos, lineInfos: p.lineInfos, coreRelos: p.coreRelocations },
    license: p.license, kernelVersion: p.kernelVersion,
    override: p.hasType ? { type: p.type, expectedAttachType: p.expectedAttachType } : undefined,
  });
  copy.flags = p.flags;
  if (p.attachTo !== p.section?.attachTo) copy.attachTo = p.attachTo;
  return copy;
}

/** Reads and parses an object file; the object name defaults to the file name up to its first '.'. */
export function loadObjectSpec(file: string, options: ObjectParseOptions = {}): ObjectSpec {
  const bytes = readRegularFile(file, (m) => new ObjectError(m));
  const base = path.basename(file);
  const dot = base.indexOf(".");
  return ObjectSpec.parse(bytes, { name: dot >= 0 ? base.slice(0, dot) : base, ...options });
}

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

function parseObject(bytes: Uint8Array, options: ObjectParseOptions): ObjectSpec {
  const name = (options.name ?? "object").slice(0, OBJ_NAME_MAX);
  const obj = new ElfObject(bytes);
  const le = obj.byteOrder === "le";
  const { btf, ext } = asObjectError("cannot read BTF", () => btfFromElf(obj.elf), { section: ".BTF" });

  const licenseSection = obj.sectionByName("license");
  const license = licenseSection ? cString(obj.data(licenseSection)) : "";
  const versionSection = obj.sectionByName("version");
  let kernelVersion: number | undefined;
  if (versionSection) {
    const v = obj.data(versionSection);
    if (v.byteLength !== 4) throw new ObjectError(`version section is ${v.byteLength} bytes, expected 4`, { section: "version" });
    kernelVersion = new DataView(v.buffer, v.byteOffset, 4).getUint32(0, le);
  }

  const mapList: ObjectMapSpec[] = [...readBtfMaps(obj, btf), ...readLegacyMaps(obj), ...readDataMaps(obj, btf, name)];
  const externs = namingExternUsers(obj, { maps: mapList, ext }, () => readExterns(obj, btf));
  const kconfig = kconfigSize(externs);
  // Sizes of .kconfig externs come from BTF types, which no file bytes back.
  if (kconfig > MAX_VALUE_SIZE) {
    throw new ObjectError(`the .kconfig externs need ${kconfig} bytes; a map value holds at most ${MAX_VALUE_SIZE} (the kernel's limit)`, { section: ".kconfig" });
  }
  if (kconfig > 0 || externs.some((e) => e.kind === "kconfig")) {
    // libbpf (1.1) makes the .kconfig map mmapable too: it fills it through the mapping.
    mapList.push(internalMap("kconfig", ".kconfig", name, new Uint8Array(kconfig), datasecId(btf, ".kconfig"), true));
  }
  mapList.push(...readStructOpsMaps(obj, btf));
  const maps = new Map<string, ObjectMapSpec>();
  for (const m of mapList) {
    const key = m.kind === "btf" || m.kind === "legacy" || m.kind === "struct_ops" ? m.name : m.sectionName;
    if (maps.has(key)) throw new ObjectError(`two maps are named '${key}'`, { symbol: key, section: m.sectionName });
    maps.set(key, m);
  }

  const functions = readFunctions(obj, { maps: mapList, externs, ext });
  const programs = new Map<string, ObjectProgramSpec>();
  for (const fn of functions) {
    if (!fn.isProgram) continue;
    if (programs.has(fn.name)) throw new ObjectError(`two programs are named '${fn.name}'`, { symbol: fn.name, section: fn.section.name });
    const override = options.programTypes?.[fn.name] ?? options.programTypes?.[fn.sectionName];
    const program = new ObjectProgramSpec({
      name: fn.name, sectionName: fn.sectionName, autoload: fn.autoload, ownSlots: fn.slotCount,
      code: linkProgram(fn, le), byteOrder: obj.byteOrder, license, kernelVersion, override,
    });
    if (!program.hasType && !options.allowUnknownSections) throw new UnknownSectionError(fn.sectionName, fn.name);
    programs.set(fn.name, program);
  }
  checkStaticInit(mapList, programs);

  const variables = readVariables(obj, btf, mapList);
  return new ObjectSpec({
    name, byteOrder: obj.byteOrder, license, kernelVersion, programs, maps, variables,
    externs: new Map(externs.map((e) => [e.name, e])), btf, btfExt: ext,
    // Computed on demand: only loading needs it.
    btfFixups: () => asObjectError("cannot fix up BTF", () => btfFixups(obj, btf, externs), { section: ".BTF" }),
  });
}

/** Prog-array slots must name main programs of the object; struct_ops members its struct_ops programs. */
function checkStaticInit(maps: readonly ObjectMapSpec[], programs: ReadonlyMap<string, ObjectProgramSpec>): void {
  for (const m of maps) {
    for (const [member, name] of m.structOps?.programs ?? []) {
      const p = programs.get(name);
      if (!p || !p.hasType || p.type !== ProgramType.StructOps) {
        const what = p ? `a program of another type (SEC("${p.sectionName}"))` : "not a program of this object";
        throw new ObjectError(`struct_ops '${m.name}': member '${member}' points at '${name}', which is ${what}`, { symbol: m.name, section: m.sectionName });
      }
    }
    if (m.type !== 3 || !m.initialSlots) continue;
    for (const p of m.initialSlots) {
      if (p !== undefined && !programs.has(p)) {
        throw new ObjectError(`prog array '${m.name}' is initialised with '${p}', which is not a program of this object`, { symbol: m.name, section: ".maps" });
      }
    }
  }
}
