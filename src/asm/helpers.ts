// Lookup between helper ids and names, over the generated table.
import { HELPER_NAMES, type HelperName } from "./helpers.generated.js";
import { InvalidArgumentError } from "../sys/errors.js";

export { HELPER_NAMES, type HelperName };

/** A helper named as in C ("bpf_map_lookup_elem"), bare ("map_lookup_elem") or by enum ("BPF_FUNC_map_lookup_elem"). */
export type HelperRef = HelperName | `bpf_${HelperName}` | `BPF_FUNC_${HelperName}` | number;

let idsByName: Map<string, number> | undefined;

/** The helper's name without prefix, or undefined for an id this table does not know. */
export function helperName(id: number): HelperName | undefined {
  return HELPER_NAMES[id];
}

/** The helper id of a name or id; throws InvalidArgumentError for unknown helpers. */
export function helperId(ref: HelperRef | string): number {
  if (typeof ref === "number") {
    if (!Number.isInteger(ref) || ref < 0 || ref > 0x7fff_ffff) throw new InvalidArgumentError(`invalid helper id ${ref}`, "helper");
    return ref;
  }
  idsByName ??= new Map(HELPER_NAMES.map((n, id) => [n, id]));
  const bare = ref.replace(/^(BPF_FUNC_|bpf_)/, "");
  const id = idsByName.get(bare);
  if (id === undefined) throw new InvalidArgumentError(`unknown BPF helper "${ref}"`, "helper");
  return id;
}
