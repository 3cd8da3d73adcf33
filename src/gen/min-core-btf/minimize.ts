// gen min_core_btf: the smallest BTF that relocates a set of objects
// exactly as the full kernel BTF does (BTFHub's way of shipping CO-RE to
// kernels without /sys/kernel/btf/vmlinux). The relocator reports what its
// matches walked (record.ts); the marked parts are rebuilt (build.ts); then
// every relocation is resolved again against the result (outcomes.ts).
// Dropping parts can only make a candidate stop matching — except where a
// dropped pointer target turns into void or a struct's shape changes a
// comparison — so any disagreement is repaired by keeping the candidates of
// that relocation's type complete, and the check runs again.
import { Btf } from "../../btf/btf.js";
import { BtfError } from "../../btf/errors.js";
import { findCandidates } from "../../core/candidates.js";
import type { ObjectSpec } from "../../object/object-spec.js";
import { InvalidArgumentError } from "../../sys/errors.js";
import { buildMinimalBtf, type BuiltBtf } from "./build.js";
import { TypeMarks } from "./marks.js";
import { resolveOutcomes, sameOutcome, type RelocationOutcome } from "./outcomes.js";
import { recordRelocations, type CoreRelocationSource } from "./record.js";

/** Rounds of repair before giving up (one is enough for every corpus object seen so far). */
const MAX_REPAIRS = 4;

/** The minimal BTF with what went into it. */
export interface MinimalCoreBtf extends BuiltBtf {
  /** Relocations considered (all objects). */
  readonly relocations: number;
  /** Relocations with no match in the target: they stay poisoned / report absence with the minimal BTF too. */
  readonly unmatched: number;
  /** Types in the output (void excluded). */
  readonly types: number;
}

/** The relocation source of a parsed object; InvalidArgumentError when it has no CO-RE relocations. */
export function relocationSource(spec: ObjectSpec): CoreRelocationSource {
  const count = spec.btfExt ? [...spec.btfExt.coreRelos.values()].reduce((n, r) => n + r.length, 0) : 0;
  if (!spec.btf || !spec.btfExt || count === 0) {
    const what = !spec.btf ? "no .BTF section" : !spec.btfExt ? "no .BTF.ext section" : "no CO-RE relocation records in .BTF.ext";
    throw new InvalidArgumentError(
      `object '${spec.name}' has ${what}, so it needs nothing from the kernel's BTF (compile with clang -g and read kernel types through BPF_CORE_READ / __builtin_preserve_access_index)`,
      "objects",
    );
  }
  return { name: spec.name, btf: spec.btf, relocations: spec.btfExt.coreRelos, byteOrder: spec.byteOrder === "be" ? "be" : "le" };
}

/**
 * Like minimizeCoreBtf, for relocation records given directly, and with
 * the id mapping and counts. Throws CoreRelocationError when a relocation
 * cannot be resolved against `target` at all (malformed, ambiguous): the
 * loader would refuse the object too.
 */
export function minimizeCoreRelocations(target: Btf, sources: readonly CoreRelocationSource[]): MinimalCoreBtf {
  if (sources.length === 0) throw new InvalidArgumentError("min_core_btf needs at least one object", "objects");
  const expected = resolveOutcomes(target, sources);
  const failed = expected.find((o) => o.error);
  if (failed?.error) {
    failed.error.message = `${failed.source.name}: ${failed.error.message}`;
    throw failed.error;
  }
  const marks = new TypeMarks(target);
  recordRelocations(marks, sources);
  for (let round = 0; ; round++) {
    marks.keepFlexibleArraysHonest();
    const built = buildMinimalBtf(marks);
    const differing = disagreements(expected, resolveOutcomes(new Btf(built.bytes), sources), built.newIds);
    if (differing.length === 0) {
      return {
        ...built, relocations: expected.length, types: built.newIds.size,
        unmatched: expected.filter((o) => o.fixup?.targetTypeId === undefined && o.fixup?.kind !== "TYPE_ID_LOCAL").length,
      };
    }
    if (round === MAX_REPAIRS) {
      const first = differing[0] as RelocationOutcome;
      throw new BtfError(`min_core_btf: ${first.source.name}: '${first.fixup?.description ?? first.error?.message}' resolves differently against the minimal BTF (a bug in tsbpf; please report it)`);
    }
    for (const o of differing) {
      const local = o.source.btf.typeById(o.typeId);
      for (const c of findCandidates([{ name: "target", btf: target }], local)) marks.markComplete(c.typeId);
    }
  }
}

function disagreements(full: readonly RelocationOutcome[], min: readonly RelocationOutcome[], newIds: ReadonlyMap<number, number>): RelocationOutcome[] {
  return full.filter((o, i) => !sameOutcome(o, min[i] as RelocationOutcome, newIds));
}

/**
 * The minimal BTF (raw bytes) that `objects`' CO-RE relocations need from
 * `target`, as `bpftool gen min_core_btf` makes it: relocating each object
 * against the result gives the same instructions as against `target` (a
 * TYPE_ID_TARGET relocation gives the type's id in the result), including
 * relocations that find no match. Ship it for kernels without
 * /sys/kernel/btf/vmlinux and load with `Collection.load(spec, { btf })`.
 * Throws InvalidArgumentError for an object without CO-RE relocations and
 * CoreRelocationError when a relocation cannot be resolved against `target`.
 */
export function minimizeCoreBtf(target: Btf, objects: readonly ObjectSpec[]): Uint8Array {
  return minimizeCoreRelocations(target, objects.map(relocationSource)).bytes;
}
