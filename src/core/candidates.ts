// Candidate lookup: the target types a local type may correspond to are
// those of a CO-RE-compatible kind whose essential name (flavor suffix
// dropped) equals the local type's essential name. The name index of Btf
// answers exact names; target names that carry a flavor themselves are
// found by one substring search of the string table per essential name.
import { Buffer } from "node:buffer";
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

const flavoredNames = new WeakMap<Btf, Map<string, readonly string[]>>();

/**
 * Names in `btf`'s own string table that are `essential` plus a flavor
 * suffix ("task_struct___x"): one substring search for "\0<essential>___"
 * (every string but the first follows a NUL), cached per essential name.
 */
function flavoredNamesOf(btf: Btf, essential: string): readonly string[] {
  let cache = flavoredNames.get(btf);
  if (!cache) flavoredNames.set(btf, (cache = new Map()));
  const cached = cache.get(essential);
  if (cached) return cached;
  const bytes = btf.strings.bytes;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needle = Buffer.from(`\0${essential}___`, "utf8");
  const found: string[] = [];
  for (let p = buf.indexOf(needle); p >= 0; p = buf.indexOf(needle, p + 1)) {
    const end = buf.indexOf(0, p + 1);
    const name = buf.toString("utf8", p + 1, end < 0 ? buf.length : end);
    if (essentialName(name) === essential) found.push(name);
  }
  cache.set(essential, found);
  return found;
}

/**
 * Target types in `target` (own types only, for split BTF) whose kind is
 * CO-RE-compatible with `local` and whose essential name equals
 * `localEssential`, in id order (the order libbpf considers them in).
 */
export function findCandidatesIn(target: NamedBtf, local: BtfType, localEssential: string): CoreCandidate[] {
  const btf = target.btf;
  const ids = new Set<number>();
  const addName = (name: string): void => {
    for (const id of btf.idsByName(name)) if (id >= btf.firstId) ids.add(id);
  };
  addName(localEssential);
  for (const name of flavoredNamesOf(btf, localEssential)) addName(name);
  const out: CoreCandidate[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    const t = btf.typeById(id);
    if (!kindsCoreCompatible(t, local)) continue;
    // An exact-name hit can itself carry a flavor ("a___b" has essential name "a").
    if (essentialName(t.name) !== localEssential) continue;
    out.push({ target, typeId: id });
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
