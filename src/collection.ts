// Collection: the live kernel objects of one ObjectSpec — its maps, its
// programs and its global variables — created by Collection.load, which does
// every kernel-dependent step: BTF sanitised and loaded once, kconfig and
// ksym externs filled, maps created (or reused from pins), global data
// written and `.rodata` frozen, CO-RE applied, programs loaded.
import { Btf } from "./btf/btf.js";
import { kernelBtf, loadBtfFile } from "./btf/discovery.js";
import { loadBtf } from "./btf/kernel.js";
import { BtfLoadError } from "./btf/errors.js";
import type { CoreRelocator } from "./core/relocator.js";
import type { CoreFixup } from "./core/fixup.js";
import { Map as BpfMap } from "./map.js";
import type { MapMemory } from "./map/mmap.js";
import { MapType } from "./map/types.js";
import { ObjectSpec } from "./object/object-spec.js";
import { checkInstance, describeValue, optionsArgument } from "./sys/arguments.js";
import type { ObjectProgramSpec } from "./object/program-spec.js";
import { Program } from "./program/program.js";
import type { FD } from "./sys/fd.js";
import { InvalidArgumentError, NotFoundError } from "./sys/errors.js";
import { PinStaging } from "./sys/pin-staging.js";
import { programBtfSupported, sanitizeBtf } from "./collection/btf-sanitize.js";
import { fillKconfig, runningKernelKconfig, type KconfigSources } from "./collection/kconfig.js";
import { resolveKsyms } from "./collection/ksyms.js";
import { externStepNamingUsers } from "./collection/extern-errors.js";
import { runningModuleBtfs, type ModuleBtfSource } from "./collection/module-btf.js";
import { ModuleBtfFds } from "./collection/module-btf-fds.js";
import { createMap, initMapInMapSlots } from "./collection/maps.js";
import { initDataMap, isDataMap, mapDataMemory } from "./collection/data-sections.js";
import { createRelocator, relocateCore } from "./collection/core.js";
import { relocateProgram } from "./collection/relocate.js";
import { attachBtfId, littleEndianCode, loadSpecFor, programAttachTargets, StringOffsets } from "./collection/programs.js";
import type { AttachTarget } from "./program/attach-target.js";
import { explainVerifierError } from "./collection/verifier-explain.js";
import { Variable } from "./collection/variables.js";
import { checkStructOpsPrograms, planObjectStructOps, structOpsTargets, structOpsValue, type StructOpsTarget } from "./collection/struct-ops.js";
import { createStructOpsMap, StructOpsMap } from "./collection/struct-ops-map.js";
import type { StructOpsLink } from "./collection/struct-ops-link.js";
import { StructOpsError } from "./collection/struct-ops-error.js";
import { ProgramType, type AttachType } from "./program/types.js";

/** Options of Collection.load. */
export interface CollectionLoadOptions {
  /**
   * CO-RE target: a Btf or the path of a BTF file (raw BTF or an ELF with
   * .BTF) to relocate against instead of the running kernel's BTF.
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
  /** @internal Tests: kconfig values instead of the running kernel's. */
  kconfig?: KconfigSources;
  /** @internal Tests: kernel modules' BTF instead of the running kernel's modules. */
  modules?: ModuleBtfSource;
}

function checkName(name: unknown, kind: string): void {
  if (typeof name !== "string") throw new InvalidArgumentError(`collection.${kind}(name): name must be a string (got ${describeValue(name)})`, "name");
}

/** The loaded maps, programs and variables of an object. Closing it closes everything it created. */
export class Collection implements Disposable {
  /** Maps by their ObjectSpec key (C name; section name such as ".rodata" for global data). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** Loaded programs by C function name. */
  readonly programs: ReadonlyMap<string, Program>;
  /** Global variables of the data sections, backed by the maps' memory. */
  readonly variables: ReadonlyMap<string, Variable>;
  /** The CO-RE fixups applied, by program name (for diagnostics). */
  readonly coreFixups: ReadonlyMap<string, readonly CoreFixup[]>;
  /**
   * What the loader worked around or left undone: BTF the kernel refused (so
   * programs load without it), maps created without BTF, prog-array slots left
   * empty because their program was not loaded (a partial load).
   */
  readonly warnings: readonly string[];
  readonly #owned: { close(): void }[];
  readonly #structOps: Map<string, StructOpsMap>;
  #closed = false;

  /** @internal Use Collection.load. */
  constructor(parts: {
    maps: Map<string, BpfMap>; programs: Map<string, Program>; variables: Map<string, Variable>;
    fixups: Map<string, CoreFixup[]>; warnings: string[]; owned: { close(): void }[]; structOps?: Map<string, StructOpsMap>;
  }) {
    this.maps = parts.maps;
    this.programs = parts.programs;
    this.variables = parts.variables;
    this.coreFixups = parts.fixups;
    this.warnings = parts.warnings;
    this.#owned = parts.owned;
    this.#structOps = parts.structOps ?? new Map();
  }

  /**
   * Loads `spec` into the kernel (BTF-enabled kernels, Linux 5.2+ for frozen
   * `.rodata`, 5.5+ for mmapped variables). On failure everything created so
   * far is closed (and pins it created are removed) before the error is thrown:
   * VerifierError (CoreVerifierError when a CO-RE relocation failed),
   * CoreRelocationError, NotFoundError for missing externs, IncompatibleError
   * for pinned maps that do not match and for ksyms/kfuncs declared with a
   * type the kernel's (vmlinux or module) BTF does not match.
   */
  static load(spec: ObjectSpec, options: CollectionLoadOptions = {}): Collection {
    checkInstance(spec, ObjectSpec, "spec", "Collection.load");
    options = optionsArgument(options, "Collection.load");
    const owned: { close(): void }[] = [];
    // New LIBBPF_PIN_BY_NAME pins appear together once everything loaded, or not at all.
    let staging: PinStaging | undefined;
    const pinStaging = (dir: string): PinStaging => (staging ??= new PinStaging([dir]));
    try {
      const collection = loadInto(spec, options, owned, pinStaging);
      staging?.commit();
      return collection;
    } catch (e) {
      staging?.abort();
      for (const r of owned.reverse()) r.close();
      throw e;
    }
  }

  /** The map named `name`; NotFoundError when the collection has none. */
  map(name: string): BpfMap {
    checkName(name, "map");
    const m = this.maps.get(name);
    if (!m) throw new NotFoundError(`the collection has no map '${name}'`);
    return m;
  }

  /** The program named `name`; NotFoundError when it was not loaded. */
  program(name: string): Program {
    checkName(name, "program");
    const p = this.programs.get(name);
    if (!p) throw new NotFoundError(`the collection has no loaded program '${name}'`);
    return p;
  }

  /** The global variable named `name`; NotFoundError when there is none. */
  variable(name: string): Variable {
    checkName(name, "variable");
    const v = this.variables.get(name);
    if (!v) throw new NotFoundError(`the collection has no global variable '${name}'`);
    return v;
  }

  /**
   * Registers the struct_ops map `name` (a `SEC(".struct_ops")` or
   * `SEC(".struct_ops.link")` variable) with the kernel, e.g. makes a
   * tcp_congestion_ops available by its `.name`. `.struct_ops.link` maps
   * register through a BPF link (Linux 6.4); plain `.struct_ops` maps by the
   * map update itself (Linux 5.6), and only once per load. The handle's
   * close() unregisters (unless its link was pinned); closing the collection
   * closes it too. A link's update() swaps to another struct_ops map of this
   * collection by name (or a Map). NotFoundError when the collection has no
   * such struct_ops map.
   */
  attachStructOps(name: string): StructOpsLink {
    if (this.#closed) throw new InvalidArgumentError("the collection is closed", "collection");
    const ops = this.#structOps.get(name);
    if (!ops) {
      const known = [...this.#structOps.keys()];
      throw new NotFoundError(`the collection has no struct_ops map '${name}'` + (known.length ? ` (it has: ${known.join(", ")})` : ""));
    }
    const link = ops.register((target) => this.#structOpsTarget(target));
    this.#owned.push(link);
    return link;
  }

  /** A struct_ops map to swap a link to: one of ours by name or Map (value written first), or a foreign Map as it is. */
  #structOpsTarget(target: string | BpfMap): { name: string; map: BpfMap } {
    if (this.#closed) throw new InvalidArgumentError("the collection is closed", "collection");
    const ops = typeof target === "string" ? this.#structOps.get(target) : [...this.#structOps.values()].find((o) => o.map === target);
    if (ops) {
      ops.prepare();
      return { name: ops.name, map: ops.map };
    }
    if (typeof target !== "string") return { name: target.name, map: target };
    throw new NotFoundError(`the collection has no struct_ops map '${target}' (it has: ${[...this.#structOps.keys()].join(", ")})`);
  }

  /** Closes every program, map (and mapping) and the BTF the collection created. Pinned objects live on. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of [...this.#owned].reverse()) r.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function targetBtf(option: Btf | string | undefined, runningModules: ModuleBtfSource): { btf: () => Btf; name: string; modules: ModuleBtfSource | false } {
  if (option instanceof Btf) return { btf: () => option, name: "the given BTF", modules: false };
  if (typeof option === "string") {
    let cached: Btf | undefined;
    return { btf: () => (cached ??= loadBtfFile(option)), name: option, modules: false };
  }
  return { btf: kernelBtf, name: "vmlinux", modules: runningModules };
}

function replacementMap(r: CollectionLoadOptions["mapReplacements"]): ReadonlyMap<string, BpfMap> {
  if (!r) return new Map();
  return r instanceof Map ? r : new Map(Object.entries(r));
}

function loadInto(spec: ObjectSpec, options: CollectionLoadOptions, owned: { close(): void }[], pinStaging: (dir: string) => PinStaging): Collection {
  const warnings: string[] = [];
  // Module BTF is read only if vmlinux misses (a CO-RE type, a ksym), and then once for both.
  const runningModules = options.modules ?? runningModuleBtfs(kernelBtf);
  const target = targetBtf(options.btf, runningModules);
  // Module BTF objects that ksyms name: needed only until the programs are loaded.
  using moduleBtfFds = new ModuleBtfFds();

  // 1. Program BTF: fixed up from the ELF, sanitised for this kernel, loaded once.
  let btfFd: FD | undefined;
  const raw = spec.btfForKernel();
  if (raw) {
    try {
      btfFd = loadBtf(sanitizeBtf(raw));
      owned.push(btfFd);
    } catch (e) {
      if (!(e instanceof BtfLoadError)) throw e;
      // libbpf carries on without BTF; so do we, but say so.
      warnings.push(`the kernel refused the object's BTF (${e.message}); maps and programs are loaded without it`);
    }
  }

  // 2. Externs.
  const externs = spec.externs;
  const kconfigSources = options.kconfig ?? runningKernelKconfig(kernelBtf);
  const objectBtf = spec.btf;
  const ksyms = objectBtf ? externStepNamingUsers(spec, () => resolveKsyms(externs.values(), objectBtf, { vmlinux: kernelBtf, modules: runningModules })) : new Map();

  // 2b. struct_ops maps matched against the running kernel's structs (their programs' attach targets come from them).
  const structOpsPlans = planObjectStructOps(spec.maps, spec.btf, kernelBtf);
  const structOpsTargetsByProgram = structOpsTargets(structOpsPlans);
  const selected = selectPrograms(spec, options.programs, structOpsTargetsByProgram);
  const attachTargets = programAttachTargets(selected, spec.programs, options.attachTargets);
  // Why a program the object refers to (a prog-array slot, a struct_ops member) may not be loaded.
  const leftOutBecause = options.programs ? "the programs option leaves it out" : "its autoload is off";
  checkStructOpsPrograms(structOpsPlans, new Set(selected.map((p) => p.name)), leftOutBecause);

  // 3. Maps, global data written and frozen as each is created (as libbpf).
  const maps = new Map<string, BpfMap>();
  const memories = new Map<string, MapMemory>();
  const replacements = replacementMap(options.mapReplacements);
  for (const [key, m] of spec.maps) {
    const plan = structOpsPlans.find((p) => p.map === key);
    if (plan) {
      const map = createStructOpsMap(m, plan, btfFd);
      owned.push(map);
      maps.set(key, map);
      continue;
    }
    const created = createMap(key, m, { btfFd, pinPath: options.pinPath, replacements, warnings, btf: spec.btf, pinStaging });
    if (created.owned) owned.push(created.map);
    maps.set(key, created.map);
    if (isDataMap(m) && !created.reused) {
      const value = (m.initialValue ?? new Uint8Array(m.valueSize)).slice();
      if (m.kind === "kconfig") {
        if (!objectBtf) throw new InvalidArgumentError("kconfig externs need the object's BTF", "btf");
        externStepNamingUsers(spec, () => fillKconfig(objectBtf, externs.values(), value, spec.byteOrder === "le", kconfigSources));
      }
      initDataMap(m, created.map, value);
    }
  }
  for (const [key, m] of spec.maps) initMapInMapSlots(key, m, maps.get(key)!, (name) => maps.get(name));

  // 4. Programs: CO-RE, data relocation, load.
  let relocator: CoreRelocator | undefined;
  // Kernels without FUNC support (before 5.0) take no func/line info: load programs without BTF, as libbpf does.
  const strings = spec.btf && btfFd && programBtfSupported() ? new StringOffsets(spec.btf) : undefined;
  const externIndex = new Map([...externs.keys()].map((n, i) => [n, i]));
  const programs = new Map<string, Program>();
  const fixupsByProgram = new Map<string, CoreFixup[]>();
  for (const p of selected) {
    const code = littleEndianCode(p);
    let fixups: readonly CoreFixup[] = [];
    if (p.coreRelocations.length > 0) {
      if (!spec.btf) throw new InvalidArgumentError(`program '${p.name}' has CO-RE relocations but the object has no BTF`, "btf");
      relocator ??= createRelocator(spec.btf, { btf: target.btf(), name: target.name, modules: target.modules }, spec.byteOrder);
      fixups = relocateCore(relocator, p, code).fixups;
      fixupsByProgram.set(p.name, [...fixups]);
    }
    relocateProgram(p, code, {
      mapFd: (name) => {
        const m = maps.get(name);
        if (!m) throw new NotFoundError(`program '${p.name}' refers to map '${name}', which the collection did not create`);
        return m.fd.raw;
      },
      kconfigFd: () => maps.get(".kconfig")?.fd.raw ?? -1,
      externs, externIndex, ksyms, moduleBtf: moduleBtfFds,
    });
    const attachTarget = attachTargets.get(p.name);
    // A target program replaces the kernel function a tracing SEC() name would name.
    const loadSpec = loadSpecFor(p, code, btfFd, strings, attachTarget ? undefined : attachBtfId(p, kernelBtf));
    const structOpsTarget = structOpsTargetsByProgram.get(p.name);
    if (structOpsTarget) {
      loadSpec.attachBtfId = structOpsTarget.attachBtfId;
      loadSpec.expectedAttachType = structOpsTarget.expectedAttachType as AttachType;
    }
    const fdArray = moduleBtfFds.fdArray();
    if (fdArray) loadSpec.fdArray = fdArray;
    let program: Program;
    try {
      program = Program.load(loadSpec, { ...(options.logLevel ? { logLevel: options.logLevel } : {}), ...(attachTarget ? { attachTarget } : {}) });
    } catch (e) {
      throw explainVerifierError(e, p, fixups);
    }
    owned.push(program);
    programs.set(p.name, program);
  }

  // 5. Prog arrays initialised from `.values`. A slot whose program was not loaded stays empty, and
  // the warnings say so (libbpf refuses the whole load instead; a partial load is asked for here).
  for (const [key, m] of spec.maps) {
    if (m.type !== MapType.ProgArray || !m.initialSlots) continue;
    const arr = maps.get(key)!;
    const k = new Uint8Array(4);
    m.initialSlots.forEach((name, i) => {
      if (name === undefined) return;
      const prog = programs.get(name);
      if (!prog) {
        warnings.push(`prog array '${key}': slot ${i} is left empty because its program '${name}' was not loaded (${leftOutBecause}); a tail call to it falls through`);
        return;
      }
      new DataView(k.buffer).setUint32(0, i, true);
      arr.update(k, prog.fd);
    });
  }

  // 5b. struct_ops values: the loaded programs' fds in their slots; registered by attachStructOps.
  const structOps = new Map<string, StructOpsMap>();
  for (const plan of structOpsPlans) {
    const value = structOpsValue(plan, (name) => {
      const prog = programs.get(name);
      // checkStructOpsPrograms refused this before anything was created.
      if (!prog) throw new StructOpsError(plan.map, `its program '${name}' was not loaded`);
      return prog.fd.raw;
    });
    structOps.set(plan.map, new StructOpsMap(plan.map, maps.get(plan.map)!, value));
  }

  // 6. Variables over the mmapped data maps.
  const variables = new Map<string, Variable>();
  for (const v of spec.variables.values()) {
    const m = spec.maps.get(v.sectionName);
    const map = maps.get(v.sectionName);
    if (!m || !map) continue;
    let memory = memories.get(v.sectionName);
    if (!memory) {
      memory = mapDataMemory(m, map);
      if (memory) memories.set(v.sectionName, memory);
    }
    variables.set(v.name, new Variable(v, map, memory));
  }

  return new Collection({ maps, programs, variables, fixups: fixupsByProgram, warnings, owned, structOps });
}

/**
 * The programs to load: those named, or every autoload one. struct_ops
 * programs load only for a member of a struct_ops map (their attach target);
 * by default the others are left out, as libbpf does.
 */
function selectPrograms(spec: ObjectSpec, names: readonly string[] | undefined, structOps: ReadonlyMap<string, StructOpsTarget>): ObjectProgramSpec[] {
  const isStructOps = (p: ObjectProgramSpec): boolean => p.hasType && p.type === ProgramType.StructOps;
  if (!names) return [...spec.programs.values()].filter((p) => p.autoload && (!isStructOps(p) || structOps.has(p.name)));
  return names.map((n) => {
    const p = spec.programs.get(n);
    if (!p) throw new NotFoundError(`the object has no program '${n}' (it has: ${[...spec.programs.keys()].join(", ")})`);
    if (isStructOps(p) && !structOps.has(n)) {
      throw new InvalidArgumentError(`struct_ops program '${n}' fills no member of a struct_ops map this kernel has, so it has no attach target`, "programs");
    }
    return p;
  });
}

