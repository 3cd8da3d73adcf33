// The collection loader: Collection.load as a pipeline of phases, one method
// each, run in order by runCollectionLoader. The loader owns what the phases
// create — the rollback list, the staged pins and the module BTF fds — so a
// phase only says what it made, and a phase that throws leaves nothing
// behind: rollback() closes everything created so far and removes the
// staged pins; commit() makes the pins appear together and hands the rest to
// the Collection.
import { Btf } from "../btf/btf.js";
import { kernelBtf, loadBtfFile } from "../btf/discovery.js";
import { loadBtf } from "../btf/kernel.js";
import { BtfLoadError } from "../btf/errors.js";
import type { CoreRelocator } from "../core/relocator.js";
import type { CoreFixup } from "../core/fixup.js";
import type { Map as BpfMap } from "../map.js";
import type { MapMemory } from "../map/mmap.js";
import { MapType } from "../map/types.js";
import { ObjectSpec } from "../object/object-spec.js";
import type { ObjectMapSpec } from "../object/map-spec.js";
import type { ObjectProgramSpec } from "../object/program-spec.js";
import type { ExternSpec } from "../object/externs.js";
import { Program } from "../program/program.js";
import type { AttachTarget } from "../program/attach-target.js";
import { ProgramType, type AttachType } from "../program/types.js";
import { checkFunction, checkInstance, optionsArgument } from "../sys/arguments.js";
import type { FD } from "../sys/fd.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { PinStaging } from "../sys/pin-staging.js";
import { probeBtfSupport, programBtfSupported, sanitizeBtf, type BtfKernelSupport } from "./btf-sanitize.js";
import { fillKconfig, runningKernelKconfig, type KconfigSources } from "./kconfig.js";
import { resolveKsyms, type KsymValue } from "./ksyms.js";
import { externStepNamingUsers } from "./extern-errors.js";
import { runningModuleBtfs, type ModuleBtfSource } from "./module-btf.js";
import { ModuleBtfFds } from "./module-btf-fds.js";
import { createMap, initMapInMapSlots } from "./maps.js";
import { initDataMap, isDataMap, mapDataMemory } from "./data-sections.js";
import { createRelocator, relocateCore, type CoreTarget } from "./core.js";
import { littleEndianCode, relocateProgram } from "./relocate.js";
import { attachBtfId, loadSpecFor, programAttachTargets, StringOffsets } from "./programs.js";
import { explainVerifierError } from "./verifier-explain.js";
import { Variable } from "./variables.js";
import { checkStructOpsPrograms, planObjectStructOps, structOpsTargets, structOpsValue, type StructOpsPlan, type StructOpsTarget } from "./struct-ops.js";
import { createStructOpsMap, StructOpsMap } from "./struct-ops-map.js";
import { StructOpsError } from "./struct-ops-error.js";
import type { CollectionLoadOptions } from "./load-options.js";

/**
 * What a load reads from the machine, replaceable by tests (through
 * loadCollectionWith of collection/load-with.ts, never a public option).
 * Each one left out is the running kernel's.
 */
export interface LoaderSources {
  /** Kernel config values for `.kconfig` externs. */
  readonly kconfig?: KconfigSources;
  /** Kernel modules' BTF, searched after vmlinux for ksyms, kfuncs and CO-RE. */
  readonly modules?: ModuleBtfSource;
  /** The BTF kinds the kernel accepts (what sanitising rewrites, whether programs get func/line info). */
  readonly btfSupport?: BtfKernelSupport;
}

/** Something the load created and the collection (or a rollback) closes. */
export interface Closeable {
  close(): void;
}

/** What a finished load hands to the Collection. */
export interface CollectionParts {
  readonly maps: Map<string, BpfMap>;
  readonly programs: Map<string, Program>;
  readonly variables: Map<string, Variable>;
  readonly fixups: Map<string, CoreFixup[]>;
  readonly warnings: string[];
  /** Everything the collection closes, in creation order. */
  readonly owned: Closeable[];
  readonly structOps: Map<string, StructOpsMap>;
  /** The object's BTF (typed maps, variables and event records decode with it). */
  readonly btf: Btf | undefined;
}

/** The CO-RE target: the running kernel (with its modules) or the `btf` option. */
function coreTarget(option: Btf | string | undefined, runningModules: ModuleBtfSource): { btf: () => Btf; name: string; modules: ModuleBtfSource | false } {
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

/**
 * One load of one ObjectSpec. Call the phases in the order they are declared
 * (runCollectionLoader does), then commit(); on any throw, rollback().
 */
export class CollectionLoader {
  readonly #spec: ObjectSpec;
  readonly #options: CollectionLoadOptions;
  readonly #sources: LoaderSources;
  // Module BTF is read only if vmlinux misses (a CO-RE type, a ksym), and then once for both.
  readonly #runningModules: ModuleBtfSource;
  readonly #target: { btf: () => Btf; name: string; modules: ModuleBtfSource | false };
  /** Why a program the object refers to (a prog-array slot, a struct_ops member) may not be loaded. */
  readonly #leftOutBecause: string;

  /** Everything created so far, in creation order: closed (reversed) by rollback, handed over by commit. */
  readonly #owned: Closeable[] = [];
  /** New LIBBPF_PIN_BY_NAME pins appear together once everything loaded, or not at all. */
  #staging: PinStaging | undefined;
  /** Module BTF objects that ksyms name: needed only until the programs are loaded. */
  readonly #moduleBtfFds = new ModuleBtfFds();
  readonly #warnings: string[] = [];

  // What the phases produce, in phase order.
  #btfFd: FD | undefined;
  #kconfig: KconfigSources | undefined;
  #ksyms = new Map<string, KsymValue>();
  #structOpsPlans: StructOpsPlan[] = [];
  #structOpsTargets = new Map<string, StructOpsTarget>();
  #selected: ObjectProgramSpec[] = [];
  #attachTargets = new Map<string, AttachTarget>();
  readonly #maps = new Map<string, BpfMap>();
  /** Data maps created here (not reused or replaced): their contents are written by writeDataSections. */
  readonly #newDataMaps: [ObjectMapSpec, BpfMap][] = [];
  readonly #programs = new Map<string, Program>();
  readonly #fixups = new Map<string, CoreFixup[]>();
  readonly #structOps = new Map<string, StructOpsMap>();
  readonly #variables = new Map<string, Variable>();

  constructor(spec: ObjectSpec, options: CollectionLoadOptions, sources: LoaderSources = {}) {
    this.#spec = spec;
    this.#options = options;
    this.#sources = sources;
    this.#runningModules = sources.modules ?? runningModuleBtfs(kernelBtf);
    this.#target = coreTarget(options.btf, this.#runningModules);
    this.#leftOutBecause = options.programs ? "the programs option leaves it out" : "its autoload is off";
  }

  /** The load options' debug callback, if any (one line per decision). */
  #debug(message: () => string): void {
    this.#options.debug?.(message());
  }

  /** Probed on first use (once per process), as before there was a seam. */
  #btfSupport(): BtfKernelSupport {
    return this.#sources.btfSupport ?? probeBtfSupport();
  }

  #own<T extends Closeable>(resource: T): T {
    this.#owned.push(resource);
    return resource;
  }

  #pinStaging = (dir: string): PinStaging => (this.#staging ??= new PinStaging([dir]));

  /** Phase 1, BTF: the object's BTF fixed up from the ELF, sanitised for this kernel, loaded once. */
  loadBtf(): void {
    const raw = this.#spec.btfForKernel();
    if (!raw) return;
    try {
      this.#btfFd = this.#own(loadBtf(sanitizeBtf(raw, this.#btfSupport())));
      this.#debug(() => `object BTF loaded into the kernel (${raw.length} bytes)`);
    } catch (e) {
      if (!(e instanceof BtfLoadError)) throw e;
      // libbpf carries on without BTF; so do we, but say so.
      this.#warnings.push(`the kernel refused the object's BTF (${e.message}); maps and programs are loaded without it`);
    }
  }

  /** Phase 2, externs: kconfig values (read lazily), ksyms and kfuncs resolved against vmlinux, then module BTF. */
  resolveExterns(): void {
    const spec = this.#spec;
    this.#kconfig = this.#sources.kconfig ?? runningKernelKconfig(kernelBtf);
    const objectBtf = spec.btf;
    if (!objectBtf) return;
    this.#ksyms = externStepNamingUsers(spec, () => resolveKsyms(spec.externs.values(), objectBtf, { vmlinux: kernelBtf, modules: this.#runningModules }));
  }

  /**
   * Phase 3, selection: struct_ops maps matched against the running kernel's
   * structs (their programs' attach targets come from them), the programs to
   * load, their extension targets; all checked before anything is created.
   */
  selectPrograms(): void {
    const spec = this.#spec;
    this.#structOpsPlans = planObjectStructOps(spec.maps, spec.btf, kernelBtf);
    this.#structOpsTargets = structOpsTargets(this.#structOpsPlans);
    this.#selected = selectPrograms(spec, this.#options.programs, this.#structOpsTargets);
    this.#attachTargets = programAttachTargets(this.#selected, spec.programs, this.#options.attachTargets);
    checkStructOpsPrograms(this.#structOpsPlans, new Set(this.#selected.map((p) => p.name)), this.#leftOutBecause);
  }

  /** Phase 4, maps: created, reused from pins, or replaced; struct_ops maps; then map-in-map slots. */
  createMaps(): void {
    const spec = this.#spec;
    const replacements = replacementMap(this.#options.mapReplacements);
    for (const [key, m] of spec.maps) {
      const plan = this.#structOpsPlans.find((p) => p.map === key);
      if (plan) {
        this.#maps.set(key, this.#own(createStructOpsMap(m, plan, this.#btfFd)));
        continue;
      }
      const created = createMap(key, m, {
        btfFd: this.#btfFd, pinPath: this.#options.pinPath, replacements, warnings: this.#warnings, btf: spec.btf, pinStaging: this.#pinStaging,
      });
      if (created.owned) this.#own(created.map);
      if (spec.btf && created.owned && (m.keyTypeId || m.valueTypeId)) {
        created.map.setTypeSource({ btf: spec.btf, keyTypeId: m.keyTypeId, valueTypeId: m.valueTypeId });
      }
      this.#debug(() => `map '${key}': ${!created.reused ? "created" : created.owned ? "reused the pinned map" : "replaced by the given map"} ` +
        `(${created.map.typeName}, key ${created.map.keySize} B, value ${created.map.valueSize} B, max_entries ${created.map.maxEntries})`);
      this.#maps.set(key, created.map);
      if (isDataMap(m) && !created.reused) this.#newDataMaps.push([m, created.map]);
    }
    for (const [key, m] of spec.maps) initMapInMapSlots(key, m, this.#maps.get(key)!, (name) => this.#maps.get(name));
  }

  /** Phase 5, data sections: the new global-data maps written (kconfig values filled in) and `.rodata` frozen, as libbpf. */
  writeDataSections(): void {
    const spec = this.#spec;
    for (const [m, map] of this.#newDataMaps) {
      const value = (m.initialValue ?? new Uint8Array(m.valueSize)).slice();
      if (m.kind === "kconfig") {
        const objectBtf = spec.btf;
        if (!objectBtf) throw new InvalidArgumentError("kconfig externs need the object's BTF", "btf");
        const externs: Iterable<ExternSpec> = spec.externs.values();
        externStepNamingUsers(spec, () => fillKconfig(objectBtf, externs, value, spec.byteOrder === "le", this.#kconfig!));
      }
      initDataMap(m, map, value);
    }
  }

  /** Phase 6, programs: CO-RE, map/data/extern relocation, extension and struct_ops targets, load. */
  loadPrograms(): void {
    const spec = this.#spec;
    let relocator: CoreRelocator | undefined;
    // Kernels without FUNC support (before 5.0) take no func/line info: load programs without BTF, as libbpf does.
    const strings = spec.btf && this.#btfFd && programBtfSupported(this.#btfSupport()) ? new StringOffsets(spec.btf) : undefined;
    const externs = spec.externs;
    const externIndex = new Map([...externs.keys()].map((n, i) => [n, i]));
    const logLevel = this.#options.logLevel;
    for (const p of this.#selected) {
      const code = littleEndianCode(p);
      let fixups: readonly CoreFixup[] = [];
      if (p.coreRelocations.length > 0) {
        if (!spec.btf) throw new InvalidArgumentError(`program '${p.name}' has CO-RE relocations but the object has no BTF`, "btf");
        const target: CoreTarget = { btf: this.#target.btf(), name: this.#target.name, modules: this.#target.modules };
        if (!relocator) this.#debug(() => `CO-RE: relocating against ${target.name}${target.modules ? " and module BTF" : ""}`);
        relocator ??= createRelocator(spec.btf, target, spec.byteOrder);
        fixups = relocateCore(relocator, p, code).fixups;
        fixups.forEach((f, i) => this.#debug(() => `program '${p.name}': CO-RE relo #${i}: insn #${f.insnIndex}: ${f.description}${f.poisoned ? " (poisoned)" : ""}`));
        this.#fixups.set(p.name, [...fixups]);
      }
      relocateProgram(p, code, {
        mapFd: (name) => {
          const m = this.#maps.get(name);
          if (!m) throw new NotFoundError(`program '${p.name}' refers to map '${name}', which the collection did not create`);
          return m.fd.raw;
        },
        kconfigFd: () => this.#maps.get(".kconfig")?.fd.raw ?? -1,
        externs, externIndex, ksyms: this.#ksyms, moduleBtf: this.#moduleBtfFds,
      });
      const attachTarget = this.#attachTargets.get(p.name);
      // A target program replaces the kernel function a tracing SEC() name would name.
      const loadSpec = loadSpecFor(p, code, this.#btfFd, strings, attachTarget ? undefined : attachBtfId(p, kernelBtf));
      const structOpsTarget = this.#structOpsTargets.get(p.name);
      if (structOpsTarget) {
        loadSpec.attachBtfId = structOpsTarget.attachBtfId;
        loadSpec.expectedAttachType = structOpsTarget.expectedAttachType as AttachType;
      }
      const fdArray = this.#moduleBtfFds.fdArray();
      if (fdArray) loadSpec.fdArray = fdArray;
      let program: Program;
      try {
        program = Program.load(loadSpec, { ...(logLevel ? { logLevel } : {}), ...(attachTarget ? { attachTarget } : {}) });
      } catch (e) {
        throw explainVerifierError(e, p, fixups);
      }
      this.#debug(() => `program '${p.name}': loaded (SEC("${p.sectionName}"), ${code.length / 8} insns, id ${program.id})`);
      this.#programs.set(p.name, this.#own(program));
    }
    // The kernel holds its own references to the module BTF the programs use.
    this.#moduleBtfFds.close();
  }

  /**
   * Phase 7, populate: prog arrays initialised from `.values`, struct_ops
   * values with the loaded programs' fds (registered later by
   * attachStructOps). A prog-array slot whose program was not loaded stays
   * empty, and the warnings say so (libbpf refuses the whole load instead;
   * a partial load is asked for here).
   */
  populate(): void {
    for (const [key, m] of this.#spec.maps) {
      if (m.type !== MapType.ProgArray || !m.initialSlots) continue;
      const arr = this.#maps.get(key)!;
      const k = new Uint8Array(4);
      m.initialSlots.forEach((name, i) => {
        if (name === undefined) return;
        const prog = this.#programs.get(name);
        if (!prog) {
          this.#warnings.push(`prog array '${key}': slot ${i} is left empty because its program '${name}' was not loaded (${this.#leftOutBecause}); a tail call to it falls through`);
          return;
        }
        new DataView(k.buffer).setUint32(0, i, true);
        arr.update(k, prog.fd);
      });
    }
    for (const plan of this.#structOpsPlans) {
      const value = structOpsValue(plan, (name) => {
        const prog = this.#programs.get(name);
        // checkStructOpsPrograms refused this before anything was created.
        if (!prog) throw new StructOpsError(plan.map, `its program '${name}' was not loaded`);
        return prog.fd.raw;
      });
      this.#structOps.set(plan.map, new StructOpsMap(plan.map, this.#maps.get(plan.map)!, value));
    }
  }

  /** Phase 8, variables: the global variables over the data maps' memory (one mapping per map). */
  bindVariables(): void {
    const memories = new Map<string, MapMemory>();
    for (const v of this.#spec.variables.values()) {
      const m = this.#spec.maps.get(v.sectionName);
      const map = this.#maps.get(v.sectionName);
      if (!m || !map) continue;
      let memory = memories.get(v.sectionName);
      if (!memory) {
        memory = mapDataMemory(m, map);
        if (memory) memories.set(v.sectionName, memory);
      }
      this.#variables.set(v.name, new Variable(v, map, memory));
    }
  }

  /** Last phase: the staged pins appear together; everything created passes to the collection. */
  commit(): CollectionParts {
    this.#moduleBtfFds.close();
    for (const w of this.#warnings) this.#debug(() => `warning: ${w}`);
    this.#staging?.commit();
    return {
      maps: this.#maps, programs: this.#programs, variables: this.#variables, fixups: this.#fixups,
      warnings: this.#warnings, owned: this.#owned, structOps: this.#structOps, btf: this.#spec.btf,
    };
  }

  /** After a phase threw: staged pins removed, everything created closed (newest first). */
  rollback(): void {
    this.#moduleBtfFds.close();
    this.#staging?.abort();
    for (const r of this.#owned.reverse()) r.close();
    this.#owned.length = 0;
  }
}

/** Checks the arguments and runs every phase of a load in order; on a throw nothing created is left behind. */
export function runCollectionLoader(spec: ObjectSpec, options: CollectionLoadOptions, sources: LoaderSources = {}): CollectionParts {
  checkInstance(spec, ObjectSpec, "spec", "Collection.load");
  options = optionsArgument(options, "Collection.load");
  if (options.debug !== undefined) checkFunction(options.debug, "debug", "Collection.load");
  const loader = new CollectionLoader(spec, options, sources);
  try {
    loader.loadBtf();
    loader.resolveExterns();
    loader.selectPrograms();
    loader.createMaps();
    loader.writeDataSections();
    loader.loadPrograms();
    loader.populate();
    loader.bindVariables();
    return loader.commit();
  } catch (e) {
    loader.rollback();
    throw e;
  }
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
