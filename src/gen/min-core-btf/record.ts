// Recording what the relocations use: each relocation is resolved against
// the full target BTF by the CO-RE relocator itself (src/core/), which
// reports every candidate that satisfies it; the matched specs are then
// marked (marks.ts). Each relocation is resolved on its own, with the full
// candidate list, so that every candidate that could satisfy it is kept:
// the loader narrows candidates per type as it goes (as libbpf does), and
// which candidates remain depends on which programs are loaded.
import type { Btf } from "../../btf/btf.js";
import { CoreReloKind, type CoreRelo } from "../../btf/ext.js";
import type { CoreSpec } from "../../core/access-spec.js";
import { isComposite, skipModsAndTypedefs } from "../../core/btf-util.js";
import { CoreRelocationError } from "../../core/errors.js";
import { reloFamily } from "../../core/kinds.js";
import { CoreRelocator, type CoreMatchRecorder } from "../../core/relocator.js";
import type { TypeMarks } from "./marks.js";

/** The CO-RE relocations of one object, as min_core_btf needs them. */
export interface CoreRelocationSource {
  /** Shown in messages (the object's name or file). */
  readonly name: string;
  /** The object's own BTF (the relocations' local types). */
  readonly btf: Btf;
  /** Relocation records by ELF section, in record order (.BTF.ext). */
  readonly relocations: ReadonlyMap<string, readonly CoreRelo[]>;
  /** The object's byte order (bitfield shifts depend on it). */
  readonly byteOrder: "le" | "be";
}

/** Marks the target parts a matched spec walked. */
function markSpec(marks: TypeMarks, kind: number, spec: CoreSpec): void {
  switch (reloFamily(kind)) {
    case "type":
      if (kind === CoreReloKind.TYPE_MATCHES) marks.markForTypeMatch(spec.rootTypeId);
      else marks.markThroughPointers(spec.rootTypeId);
      return;
    case "enumval": {
      marks.markShape(spec.rootTypeId);
      const acc = spec.accessors[0];
      if (acc) marks.keepEnumerator(acc.typeId, acc.index);
      return;
    }
    case "field": {
      const btf = spec.btf;
      let id = spec.rootTypeId;
      marks.markShape(id);
      for (let i = 1; i < spec.raw.length; i++) {
        id = skipModsAndTypedefs(btf, id);
        const t = btf.typeById(id);
        const index = spec.raw[i] as number;
        if (isComposite(t)) {
          marks.keepMember(id, index);
          id = (t.members[index] as { type: number }).type;
        } else if (t.kind === "ARRAY") {
          id = t.type; // marked with the array
        }
      }
      return;
    }
    default:
      return;
  }
}

/**
 * Marks in `marks` (over the target BTF) every type, member and enumerator
 * that a candidate satisfying one of the relocations walked. Call it after
 * the relocations resolved in order (outcomes.ts), which reports malformed
 * records: here a relocation that is ambiguous only when considered alone
 * (the loader narrows candidates first) still has its matches recorded.
 */
export function recordRelocations(marks: TypeMarks, sources: readonly CoreRelocationSource[]): void {
  const recorder: CoreMatchRecorder = { matched: (kind, spec) => markSpec(marks, kind, spec) };
  for (const source of sources) {
    for (const [section, records] of source.relocations) {
      for (const relo of records) {
        if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) continue; // needs no target
        const alone = new CoreRelocator(source.btf, { vmlinux: marks.btf }, { byteOrder: source.byteOrder, recorder });
        try {
          alone.resolve(relo, section);
        } catch (e) {
          // Matches were recorded before the candidates were compared.
          if (!(e instanceof CoreRelocationError)) throw e;
        }
      }
    }
  }
}
