// Candidate lookup: the target types a local type may correspond to are
// those of a CO-RE-compatible kind whose essential name (flavor suffix
// dropped) equals the local type's essential name. Both the exact name and
// the flavored target names ("task_struct___x") come from Btf's hashed name
// index, so a lookup never scans the string table.
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { kindsCoreCompatible } from "./btf-util.js";
import { essentialName } from "./names.js";

/** A BTF to search, with the name used in messages ("vmlinux", "nf_tables", a file path). */
export interface NamedBtf {
  readonly name: string;
  readonly btf: Btf;
}

/** One target type a local type may correspond to. */
export interface CoreCandidate {
  readonly target: NamedBtf;
  readonly typeId: number;
}

/**
 * Target types in `target` (own types only, for split BTF) whose kind is
 * CO-RE-compatible with `local` and whose essential name equals
 * `localEssential`, in id order (the order libbpf considers them in).
 */
export function findCandidatesIn(target: NamedBtf, local: BtfType, localEssential: string): CoreCandidate[] {
  const btf = target.btf;
  const ids = ownIdsWithEssentialName(btf, localEssential);
  const out: CoreCandidate[] = [];
  for (const id of ids) {
    const t = btf.typeById(id);
    if (!kindsCoreCompatible(t, local)) continue;
    // An exact-name hit can itself carry a flavor ("a___b" has essential name "a").
    if (essentialName(t.name) !== localEssential) continue;
    out.push({ target, typeId: id });
  }
  return out;
}

/**
 * Own ids of `btf` named `essential` exactly or `essential___flavor`, in id
 * order (two ascending lists merged; they never share an id).
 */
function ownIdsWithEssentialName(btf: Btf, essential: string): number[] {
  const exact = btf.idsByName(essential);
  const flavored = btf.flavoredIdsOf(essential);
  const out: number[] = [];
  let i = 0;
  while (i < exact.length && (exact[i] as number) < btf.firstId) i++; // base types come first
  let j = 0;
  while (i < exact.length || j < flavored.length) {
    const a = exact[i];
    const b = flavored[j];
    if (b === undefined || (a !== undefined && a < b)) {
      out.push(a as number);
      i++;
    } else {
      out.push(b);
      j++;
    }
  }
  return out;
}

/**
 * libbpf's candidate search: vmlinux (or the user-named BTF) first; module
 * BTFs only when vmlinux has no candidate at all.
 */
export function findCandidates(targets: readonly NamedBtf[], local: BtfType): CoreCandidate[] {
  const essential = essentialName(local.name);
  let found: CoreCandidate[] = [];
  for (const target of targets) {
    found = found.concat(findCandidatesIn(target, local, essential));
    if (target === targets[0] && found.length > 0) break;
  }
  return found;
}
