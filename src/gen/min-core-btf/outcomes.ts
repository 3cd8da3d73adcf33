// What each relocation resolves to, as the loader would compute it (one
// relocator per object, records in order, candidates narrowed as libbpf
// does): computed once against the full target BTF and again against the
// minimal BTF, the two must agree relocation by relocation.
import type { Btf } from "../../btf/btf.js";
import { CoreReloKind } from "../../btf/ext.js";
import { CoreRelocationError } from "../../core/errors.js";
import type { CoreFixup } from "../../core/fixup.js";
import { CoreRelocator } from "../../core/relocator.js";
import type { CoreRelocationSource } from "./record.js";

/** One relocation's result: the fixup, or the error it raised. */
export type RelocationOutcome =
  | { readonly source: CoreRelocationSource; readonly typeId: number; readonly fixup: CoreFixup; readonly error?: undefined }
  | { readonly source: CoreRelocationSource; readonly typeId: number; readonly fixup?: undefined; readonly error: CoreRelocationError };

/** Resolves every relocation of every source against `target`, in record order. */
export function resolveOutcomes(target: Btf, sources: readonly CoreRelocationSource[]): RelocationOutcome[] {
  const out: RelocationOutcome[] = [];
  for (const source of sources) {
    const relocator = new CoreRelocator(source.btf, { vmlinux: target }, { byteOrder: source.byteOrder });
    for (const [section, records] of source.relocations) {
      for (const relo of records) {
        try {
          out.push({ source, typeId: relo.typeId, fixup: relocator.resolve(relo, section) });
        } catch (e) {
          if (!(e instanceof CoreRelocationError)) throw e;
          out.push({ source, typeId: relo.typeId, error: e });
        }
      }
    }
  }
  return out;
}

/**
 * True when two outcomes patch the instruction identically. A target type
 * id (TYPE_ID_TARGET) is compared through `newIds`: in the minimal BTF the
 * same type has another id.
 */
export function sameOutcome(full: RelocationOutcome, min: RelocationOutcome, newIds: ReadonlyMap<number, number>): boolean {
  if (full.error || min.error) return Boolean(full.error) === Boolean(min.error);
  const a = full.fixup;
  const b = min.fixup;
  const typeId = CoreReloKind[a.kind] === CoreReloKind.TYPE_ID_TARGET;
  const expected = typeId && a.targetValue !== 0n ? BigInt(newIds.get(Number(a.targetValue)) ?? -1) : a.targetValue;
  return a.poisoned === b.poisoned && expected === b.targetValue && a.localValue === b.localValue &&
    a.targetMemSize === b.targetMemSize && a.memSizeMismatch === b.memSizeMismatch && a.validate === b.validate;
}
