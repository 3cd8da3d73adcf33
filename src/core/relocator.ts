// Resolving CO-RE relocation records against target BTF, with libbpf's
// candidate semantics: candidates are looked up once per local root type,
// and each relocation narrows that cached list to the candidates that
// satisfied it, so later relocations on the same type only consider them.
// Several surviving candidates must agree on the result, else the
// relocation is ambiguous.
import type { Btf } from "../btf/btf.js";
import { CoreReloKind, type BtfExt, type CoreRelo, type CoreReloKindName } from "../btf/ext.js";
import { describeAccessPath, parseAccessSpec, type CoreSpec } from "./access-spec.js";
import { intEncoding } from "./btf-util.js";
import { findCandidates, type CoreCandidate, type NamedBtf } from "./candidates.js";
import { CoreRelocationError } from "./errors.js";
import type { CoreFixup } from "./fixup.js";
import { reloKindLabel } from "./kinds.js";
import { matchSpec } from "./spec-match.js";
import { relocationValue, type CoreValue } from "./values.js";

/** The BTF relocations are resolved against. */
export interface CoreTargets {
  /** The kernel's BTF (or a user-named BTF file that replaces it). */
  readonly vmlinux: Btf;
  /** Name used for `vmlinux` in descriptions (default "vmlinux"). */
  readonly vmlinuxName?: string;
  /**
   * Module BTFs (split on vmlinux), searched only when vmlinux has no
   * candidate (Linux 5.11+ exposes them in /sys/kernel/btf). A function is
   * called at most once, on the first such miss, so module BTF need not be
   * read at all when vmlinux satisfies every relocation.
   */
  readonly modules?: readonly NamedBtf[] | (() => readonly NamedBtf[]);
}

/** Options of CoreRelocator and resolveCoreRelocations. */
export interface CoreRelocateOptions {
  /** Byte order of the BPF object (default "le"); bitfield left shifts depend on it. */
  readonly byteOrder?: "le" | "be";
  /** Sections to relocate (default all); libbpf skips the records of programs it will not load. */
  readonly include?: (section: string) => boolean;
  /** Told about every target match (see CoreMatchRecorder); resolution is unchanged by it. */
  readonly recorder?: CoreMatchRecorder;
}

/**
 * Observes which target types a relocation's resolution relies on:
 * `tsbpf gen min_core_btf` keeps exactly what these matches walked. It is
 * called for every candidate that satisfies the relocation (before the
 * candidates are checked to agree), with the candidate's spec over the
 * target BTF: its root type, the raw member/index path (anonymous members
 * included) and, for enum relocations, the enumerator.
 */
export interface CoreMatchRecorder {
  /** `candidate` satisfies a relocation of `kind` (a CoreReloKind value); `target` is its spec over the candidate's BTF. */
  matched(kind: number, target: CoreSpec, candidate: CoreCandidate): void;
}

interface Outcome {
  readonly local: CoreValue;
  readonly target: CoreValue;
  readonly targetSpec: CoreSpec | undefined;
  readonly candidate: CoreCandidate | undefined;
}

/** Resolves relocation records one by one, caching candidates per local type (one instance per object). */
export class CoreRelocator {
  readonly localBtf: Btf;
  readonly #vmlinux: NamedBtf;
  #modules: readonly NamedBtf[] | (() => readonly NamedBtf[]);
  readonly #candidates = new Map<number, CoreCandidate[]>();
  readonly #bigEndian: boolean;
  readonly #recorder: CoreMatchRecorder | undefined;

  constructor(localBtf: Btf, targets: CoreTargets, options: CoreRelocateOptions = {}) {
    this.localBtf = localBtf;
    this.#bigEndian = options.byteOrder === "be";
    this.#recorder = options.recorder;
    this.#vmlinux = { name: targets.vmlinuxName ?? "vmlinux", btf: targets.vmlinux };
    this.#modules = targets.modules ?? [];
  }

  /** vmlinux first, then the modules (resolving a lazy module list once). */
  #targets(): readonly NamedBtf[] {
    if (typeof this.#modules === "function") this.#modules = this.#modules();
    return [this.#vmlinux, ...this.#modules];
  }

  /** Resolves one record of `section`. Throws CoreRelocationError for malformed or ambiguous relocations. */
  resolve(relo: CoreRelo, section: string): CoreFixup {
    const insnIndex = relo.insnOffset / 8;
    const kindLabel = reloKindLabel(relo.kind);
    const site = { section, insnIndex, description: `${kindLabel} [${relo.typeId}] '${relo.accessString}'`, target: this.#vmlinux.name };
    if (!Number.isInteger(insnIndex)) throw new CoreRelocationError(`instruction offset ${relo.insnOffset} is not a multiple of 8`, site);
    let local: CoreSpec;
    try {
      local = parseAccessSpec(this.localBtf, relo.typeId, relo.accessString, relo.kind);
    } catch (e) {
      if (e instanceof CoreRelocationError) throw new CoreRelocationError(e.message, site, { cause: e });
      throw new CoreRelocationError(e instanceof Error ? e.message : String(e), site, { cause: e });
    }
    const path = `${describeAccessPath(local)} (${relo.accessString})`;
    const described = { ...site, description: `${kindLabel} ${path}` };
    try {
      const outcome = this.#compute(relo, local);
      return this.#fixup(relo, section, local, outcome, kindLabel, path);
    } catch (e) {
      if (e instanceof CoreRelocationError && e.site.description) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new CoreRelocationError(message, described, { cause: e });
    }
  }

  #compute(relo: CoreRelo, local: CoreSpec): Outcome {
    if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
      // Needs no target: the local id, never validated (static linking renumbers types).
      const id: CoreValue = { value: BigInt(local.rootTypeId), memSize: 0, memTypeId: 0, validate: false };
      return { local: id, target: id, targetSpec: undefined, candidate: undefined };
    }
    const localValue = relocationValue(relo.kind, local, true, this.#bigEndian);
    const localType = this.localBtf.typeById(relo.typeId);
    if (localType.name === "") throw new CoreRelocationError("CO-RE relocations against anonymous types are not supported (libbpf refuses them too)");
    let candidates = this.#candidates.get(relo.typeId);
    if (!candidates) {
      const inVmlinux = findCandidates([this.#vmlinux], localType);
      candidates = inVmlinux.length > 0 ? inVmlinux : findCandidates(this.#targets(), localType);
      this.#candidates.set(relo.typeId, candidates);
    }
    let chosen: Outcome | undefined;
    const survivors: CoreCandidate[] = [];
    for (const candidate of candidates) {
      const targetSpec = matchSpec(local, candidate.target.btf, candidate.typeId);
      if (!targetSpec) continue;
      this.#recorder?.matched(relo.kind, targetSpec, candidate);
      const outcome = this.#outcome(relo.kind, localValue, targetSpec, candidate);
      if (!chosen) {
        chosen = outcome;
      } else if (targetSpec.bitOffset !== chosen.targetSpec?.bitOffset) {
        throw new CoreRelocationError(
          `ambiguous: candidates ${this.#label(chosen.candidate)} and ${this.#label(candidate)} put the field at different offsets ` +
            `(bit ${chosen.targetSpec?.bitOffset} vs ${targetSpec.bitOffset})`,
        );
      } else if (outcome.target.value !== chosen.target.value) {
        throw new CoreRelocationError(
          `ambiguous: candidates ${this.#label(chosen.candidate)} and ${this.#label(candidate)} give different values ` +
            `(${String(chosen.target.value)} vs ${String(outcome.target.value)})`,
        );
      }
      survivors.push(candidate);
    }
    // Later relocations on this type only consider candidates that matched so far (as libbpf does).
    if (survivors.length > 0) this.#candidates.set(relo.typeId, survivors);
    return chosen ?? this.#outcome(relo.kind, localValue, undefined, undefined);
  }

  #outcome(kind: number, localValue: CoreValue, targetSpec: CoreSpec | undefined, candidate: CoreCandidate | undefined): Outcome {
    const target = relocationValue(kind, targetSpec, false, this.#bigEndian);
    return { local: localValue, target, targetSpec, candidate };
  }

  #searched(): string {
    const modules = typeof this.#modules === "function" ? [] : this.#modules;
    return modules.length > 0 ? `${this.#vmlinux.name} and ${modules.length} module BTFs` : this.#vmlinux.name;
  }

  #label(c: CoreCandidate | undefined): string {
    if (!c) return "(none)";
    return `${c.target.name} [${c.typeId}] ${c.target.btf.nameOf(c.typeId)}`;
  }

  #fixup(relo: CoreRelo, section: string, local: CoreSpec, o: Outcome, kindLabel: string, path: string): CoreFixup {
    const poisoned = o.target.value === "poison";
    const localValue = o.local.value === "poison" ? 0n : o.local.value;
    const targetValue = o.target.value === "poison" ? 0n : o.target.value;
    const memSizeMismatch = !poisoned && o.local.memSize !== o.target.memSize && !this.#resizable(o);
    const targetDesc = o.targetSpec && o.candidate
      ? `${o.candidate.target.name} [${o.candidate.typeId}] ${describeAccessPath(o.targetSpec)} (${o.targetSpec.raw.join(":") || "0"})`
      : relo.kind === CoreReloKind.TYPE_ID_LOCAL ? "local" : `no match in ${this.#searched()}`;
    const result = poisoned ? "poisoned" : `${localValue} → ${targetValue}`;
    return {
      section, insnIndex: relo.insnOffset / 8, kind: (relo.kindName ?? reloKindLabel(relo.kind)) as CoreReloKindName,
      localValue, targetValue, poisoned, validate: o.local.validate,
      localMemSize: o.local.memSize, targetMemSize: poisoned ? 0 : o.target.memSize, memSizeMismatch,
      localTypeId: local.rootTypeId, targetTypeId: o.candidate?.typeId, targetName: o.candidate?.target.name,
      localPath: describeAccessPath(local), accessString: relo.accessString, description: `${kindLabel} ${path} → ${targetDesc}: ${result}`,
    };
  }

  /** libbpf resizes a load/store only between pointers, or between unsigned ints. */
  #resizable(o: Outcome): boolean {
    if (!o.targetSpec) return true;
    const lt = this.localBtf.typeById(o.local.memTypeId);
    const tt = o.targetSpec.btf.typeById(o.target.memTypeId);
    if (lt.kind === "PTR" && tt.kind === "PTR") return true;
    return lt.kind === "INT" && tt.kind === "INT" && intEncoding(lt) !== 1 && intEncoding(tt) !== 1;
  }
}

/**
 * Resolves every CO-RE relocation of an object (its parsed .BTF.ext, or
 * records grouped by section) against the target BTF, in record order,
 * sharing one candidate cache as libbpf does per object.
 */
export function resolveCoreRelocations(
  localBtf: Btf, relos: BtfExt | ReadonlyMap<string, readonly CoreRelo[]>, targets: CoreTargets, options: CoreRelocateOptions = {},
): CoreFixup[] {
  const bySection = relos instanceof Map ? relos : (relos as BtfExt).coreRelos;
  const relocator = new CoreRelocator(localBtf, targets, options);
  const out: CoreFixup[] = [];
  for (const [section, records] of bySection) {
    if (options.include && !options.include(section)) continue;
    for (const r of records) out.push(relocator.resolve(r, section));
  }
  return out;
}

export type { CoreReloKindName };
