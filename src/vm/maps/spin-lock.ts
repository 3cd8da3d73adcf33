// Where a map value holds its struct bpf_spin_lock, read from BTF as the
// kernel does when a map is created with BTF: a member of the value struct
// whose type is `struct bpf_spin_lock`, also inside nested structs and
// unions. The offset feeds VmMapOptions.spinLockOffset.
import type { Btf } from "../../btf/btf.js";

/** The byte offset of the `struct bpf_spin_lock` in value type `typeId` of `btf`, or undefined when it has none. */
export function spinLockOffset(btf: Btf, typeId: number): number | undefined {
  return find(btf, typeId, 0, 0);
}

/** Nesting deeper than this is not searched (the kernel's own limit is smaller). */
const MAX_DEPTH = 8;

function find(btf: Btf, typeId: number, base: number, depth: number): number | undefined {
  const t = btf.resolve(typeId);
  if ((t.kind !== "STRUCT" && t.kind !== "UNION") || depth > MAX_DEPTH) return undefined;
  if (t.name === "bpf_spin_lock") return base;
  for (const member of t.members) {
    const found = find(btf, member.type, base + Math.floor(member.bitOffset / 8), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
