// VmCollection: an ObjectSpec made runnable in the machine, the way
// Collection.load makes it live in the kernel — emulated maps (global data
// written, .rodata read-only to programs, prog arrays filled from static
// initialisers), kconfig and ksym externs filled from options, programs
// relocated (CO-RE against the BTF given) — then test-run with the same
// options and results as Program.testRun. Nothing here touches the kernel.
import type { Btf } from "../../btf/btf.js";
import { fillKconfig, type KconfigSources } from "../../collection/kconfig-values.js";
import type { KsymValue } from "../../collection/ksyms.js";
import { POISON_KFUNC_BASE } from "../../collection/relocate.js";
import { kernelMapName } from "../../map/spec.js";
import type { ObjectMapSpec } from "../../object/map-spec.js";
import type { ObjectSpec } from "../../object/object-spec.js";
import type { ProgramType } from "../../program/types.js";
import { InvalidArgumentError, NotFoundError } from "../../sys/errors.js";
import { VmUnknownHelperError } from "../errors.js";
import type { VmHelper, VmHelperTable } from "../helpers.js";
import { kernelHelpers } from "../kernel/helpers.js";
import { VmKernel, type VmKernelOptions } from "../kernel/state.js";
import { Machine, type Engine, type RunResult } from "../machine.js";
import type { VmMap } from "../maps/base.js";
import { createVmMap } from "../maps/create.js";
import { MapOfMapsVmMap } from "../maps/map-of-maps.js";
import { ProgArrayVmMap } from "../maps/prog-array.js";
import { VmMapRegistry } from "../maps/registry.js";
import { spinLockOffset } from "../maps/spin-lock.js";
import type { VmProgram } from "../program.js";
import { relocatePrograms } from "./relocate.js";
import { testRun, type VmTestRunOptions, type VmTestRunResult } from "./test-run.js";

/** A kconfig value: booleans and tristates as true/false or "y"/"m"/"n", numbers, or strings. */
export type VmKconfigValue = boolean | number | bigint | string;

/** Options of {@link VmCollection.load}. */
export interface VmCollectionOptions {
  /** BTF to relocate CO-RE against (e.g. `Btf.parse` of a kernel's vmlinux BTF); default: the object's own BTF. */
  btf?: Btf;
  /** Shown in CO-RE messages (default "the given BTF" or "the object's BTF"). */
  btfName?: string;
  /** The kernel state: CPU count, clock, random seed. */
  kernel?: VmKernelOptions;
  /** Instruction budget of one run (default 10,000,000). */
  budget?: number;
  /** Helpers to add or replace (by id or name), e.g. to fake one the machine lacks. */
  helpers?: VmHelperTable;
  /** kfunc implementations by name (a kfunc call without one is a VmUnknownHelperError naming it). */
  kfuncs?: Readonly<Record<string, VmHelper>>;
  /** Values of `.kconfig` externs: CONFIG_* options and LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE … */
  kconfig?: Readonly<Record<string, VmKconfigValue>>;
  /** Addresses of `__ksym` variables (typically the base of a region the test mapped). */
  ksyms?: Readonly<Record<string, bigint>>;
}

/** One program of a VmCollection. */
export class VmObjectProgram {
  /** @internal */
  constructor(
    /** The C function name. */
    readonly name: string,
    /** Its program type (from the SEC() name or ObjectSpec overrides). */
    readonly type: ProgramType,
    /** The relocated instructions, as the machine runs them. */
    readonly program: VmProgram,
    /** The number a prog array takes to name this program (a stand-in for its fd). */
    readonly fd: number,
    private readonly collection: VmCollection,
  ) {}

  /** Runs the program as BPF_PROG_TEST_RUN would: same options and result as Program.testRun. */
  testRun(options: VmTestRunOptions = {}): VmTestRunResult {
    return testRun(this.collection.machine, this.collection.kernel, this.type, this.program, options);
  }

  /** Runs the program once with r1–r5 = `args` (e.g. a context region's base); no context is built. */
  run(args: readonly (bigint | number)[] = [], engine: Engine = "interpreter"): RunResult {
    return this.collection.machine.run(this.program, { args, engine });
  }
}

/** The maps and programs of an object, emulated in a user-space BPF machine. */
export class VmCollection implements Disposable {
  /** The controllable kernel state (clock, CPU, task, trace lines, packet). */
  readonly kernel: VmKernel;
  /** The machine the programs run on (its memory holds the maps' values). */
  readonly machine: Machine;
  /** Maps by their name in the ObjectSpec (C name, or ".rodata", ".bss" … for global data). */
  readonly maps: ReadonlyMap<string, VmMap>;
  /** Programs by C name. */
  readonly programs: ReadonlyMap<string, VmObjectProgram>;

  private constructor(kernel: VmKernel, machine: Machine, maps: Map<string, VmMap>, programs: Map<string, VmObjectProgram>) {
    this.kernel = kernel;
    this.machine = machine;
    this.maps = maps;
    this.programs = programs;
  }

  /**
   * Creates the object's maps and relocates its programs (those with
   * autoload set). Throws the loader's errors for what cannot be resolved:
   * a CO-RE relocation error, a required kconfig or ksym extern not given.
   */
  static load(spec: ObjectSpec, options: VmCollectionOptions = {}): VmCollection {
    const kernel = new VmKernel(options.kernel);
    const registry = new VmMapRegistry();
    kernel.maps = registry;
    const machine = new Machine({ helpers: { ...kernelHelpers(kernel), ...options.helpers }, ...(options.budget === undefined ? {} : { budget: options.budget }) });
    const host = { memory: machine.memory, cpus: kernel.cpus, currentCpu: () => kernel.cpu };
    const programs = new Map<string, VmObjectProgram>();
    const fds = new Map<number, VmProgram>();
    const maps = new Map<string, VmMap>();
    for (const [key, m] of spec.maps) {
      if (m.kind === "struct_ops") continue; // struct_ops maps register with kernel subsystems: nothing to emulate.
      // The kernel-visible name, as the kernel loader makes it; `maps` keeps the full key.
      const name = kernelMapName(m.name);
      // A value holding a bpf_spin_lock (found in the object's BTF, as the kernel finds it) makes BPF_F_LOCK valid.
      const lock = spec.btf && m.valueTypeId ? spinLockOffset(spec.btf, m.valueTypeId) : undefined;
      const map = createVmMap({ ...m, name }, host, {
        resolveProgram: (fd) => fds.get(fd),
        ...(lock === undefined ? {} : { spinLockOffset: lock }),
      });
      registry.add(map);
      maps.set(key, map);
      writeInitialValue(spec, m, map, options.kconfig);
    }
    const selected = [...spec.programs.values()].filter((p) => p.autoload);
    const relocated = relocatePrograms(spec, selected, {
      maps: [...maps],
      ksyms: ksymValues(spec, options.ksyms),
      target: options.btf,
      targetName: options.btfName ?? (options.btf ? "the given BTF" : "the object's BTF"),
    });
    const coll = new VmCollection(kernel, machine, maps, programs);
    let fd = 1;
    for (const p of selected) {
      const program = relocated.get(p.name) as VmProgram;
      programs.set(p.name, new VmObjectProgram(p.name, p.type, program, fd, coll));
      fds.set(fd++, program);
    }
    for (const [key, m] of spec.maps) fillInitialSlots(m, maps.get(key), programs, maps);
    installKfuncs(spec, machine, options.kfuncs ?? {});
    return coll;
  }

  /** The map `name`, or NotFoundError listing the maps there are. */
  map(name: string): VmMap {
    const m = this.maps.get(name);
    if (!m) throw new NotFoundError(`map '${name}' not in the collection (maps: ${[...this.maps.keys()].join(", ") || "none"})`);
    return m;
  }

  /** The program `name`, or NotFoundError listing the programs there are. */
  program(name: string): VmObjectProgram {
    const p = this.programs.get(name);
    if (!p) throw new NotFoundError(`program '${name}' not in the collection (programs: ${[...this.programs.keys()].join(", ") || "none"})`);
    return p;
  }

  /** Frees the maps' memory in the machine. */
  close(): void {
    for (const m of this.maps.values()) m.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Global data and kconfig values as the loader writes them before programs load. */
function writeInitialValue(spec: ObjectSpec, m: ObjectMapSpec, map: VmMap, kconfig: VmCollectionOptions["kconfig"]): void {
  if (m.kind !== "data" && m.kind !== "rodata" && m.kind !== "bss" && m.kind !== "kconfig") return;
  const value = (m.initialValue ?? new Uint8Array(m.valueSize)).slice();
  if (m.kind === "kconfig") {
    if (!spec.btf) throw new InvalidArgumentError("kconfig externs need the object's BTF", "btf");
    fillKconfig(spec.btf, spec.externs.values(), value, spec.byteOrder === "le", kconfigSources(kconfig ?? {}));
  }
  map.update(new Uint8Array(4), value);
}

function kconfigSources(values: Readonly<Record<string, VmKconfigValue>>): KconfigSources {
  // Strings that look like .config values (y/m/n, numbers, "quoted") are taken as written; other strings are quoted.
  const raw = (v: VmKconfigValue): string => typeof v === "boolean" ? (v ? "y" : "n") : typeof v === "string" && !/^[ymn]$|^-?\d+$|^0x|^"/i.test(v) ? JSON.stringify(v) : String(v);
  const config = new Map(Object.entries(values).filter(([k]) => k.startsWith("CONFIG_")).map(([k, v]) => [k, raw(v)]));
  const flag = (name: string): boolean => values[name] === true || values[name] === "y";
  return {
    config,
    kernelVersion: Number(values["LINUX_KERNEL_VERSION"] ?? 0),
    hasBpfCookie: flag("LINUX_HAS_BPF_COOKIE"),
    hasSyscallWrapper: flag("LINUX_HAS_SYSCALL_WRAPPER"),
    missingHint: "the kconfig option of VmCollection.load does not set it",
  };
}

/** ksym externs: the addresses the test gave; a missing __weak one is 0; a missing required one is an error. */
function ksymValues(spec: ObjectSpec, given: Readonly<Record<string, bigint>> = {}): Map<string, KsymValue> {
  const out = new Map<string, KsymValue>();
  for (const ext of spec.externs.values()) {
    if (ext.kind === "kconfig") continue;
    const address = given[ext.name];
    if (ext.kind === "ksym" && address !== undefined) out.set(ext.name, { kind: "address", address });
    else if (ext.kind === "kfunc" || ext.weak) out.set(ext.name, { kind: "missing" });
    else throw new NotFoundError(`ksym extern '${ext.name}' is required (not __weak): pass its address in the ksyms option (e.g. the base of a region you mapped)`);
  }
  return out;
}

/** Static `.values = { [i] = &prog }` of prog arrays and `{ [i] = &inner }` of maps of maps. */
function fillInitialSlots(m: ObjectMapSpec, map: VmMap | undefined, programs: ReadonlyMap<string, VmObjectProgram>, maps: ReadonlyMap<string, VmMap>): void {
  if (!map || !m.initialSlots) return;
  m.initialSlots.forEach((name, index) => {
    if (name === undefined) return;
    const key = new Uint8Array(new Uint32Array([index]).buffer);
    if (map instanceof ProgArrayVmMap) {
      const p = programs.get(name);
      if (!p) throw new NotFoundError(`prog array '${m.name}' slot ${index} names program '${name}', which was not loaded`);
      map.setProgram(index, p.program);
    } else if (map instanceof MapOfMapsVmMap) {
      const inner = maps.get(name);
      if (!inner) throw new NotFoundError(`map of maps '${m.name}' slot ${index} names map '${name}', which the machine did not create`);
      map.setInner(key, inner);
    }
  });
}

/** Calls to kfuncs were poisoned by relocation (helper POISON_KFUNC_BASE + extern index): serve them by name. */
function installKfuncs(spec: ObjectSpec, machine: Machine, kfuncs: Readonly<Record<string, VmHelper>>): void {
  [...spec.externs.values()].forEach((ext, i) => {
    if (ext.kind !== "kfunc") return;
    const fn = kfuncs[ext.name];
    machine.setHelper(POISON_KFUNC_BASE + i, fn ?? ((ctx) => { throw new VmUnknownHelperError(ctx.index, POISON_KFUNC_BASE + i, ext.name, "kfunc"); }));
  });
}
