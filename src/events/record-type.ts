// The codec of an event record type named by the user ("struct event"): the
// one place that explains the commonest surprise of typed events — clang
// writes BTF only for types reachable from globals, maps, function
// signatures and CO-RE accesses, so a struct used only through a local
// variable or a reserved ring-buffer pointer is simply not in the object.
// The error says so, gives the usual fix, and lists names that do exist.
import type { Btf } from "../btf/btf.js";
import { BtfCodec, type CodecOptions } from "../btf/codec/index.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";

const NAMED_KINDS: Readonly<Record<string, readonly string[]>> = {
  struct: ["STRUCT"],
  union: ["UNION"],
  enum: ["ENUM", "ENUM64"],
};
const AGGREGATE_KINDS = new Set(["STRUCT", "UNION", "ENUM", "ENUM64", "TYPEDEF"]);

/** Edit distance of two short names (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Up to five struct/union/enum/typedef names of `btf` that look like `name` ("struct event" spelling). */
export function similarTypeNames(btf: Btf, name: string): string[] {
  const scored: { spelled: string; score: number }[] = [];
  const seen = new Set<string>();
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(name.length / 3));
  for (const t of btf) {
    if (!t.name || !AGGREGATE_KINDS.has(t.kind)) continue;
    const spelled = t.kind === "TYPEDEF" ? t.name : `${t.kind === "ENUM64" ? "enum" : t.kind.toLowerCase()} ${t.name}`;
    if (seen.has(spelled)) continue;
    seen.add(spelled);
    const other = t.name.toLowerCase();
    const score = other.includes(lower) || lower.includes(other) ? 0 : distance(lower, other);
    if (score <= limit) scored.push({ spelled, score });
  }
  return scored.sort((x, y) => x.score - y.score || x.spelled.localeCompare(y.spelled)).slice(0, 5).map((s) => s.spelled);
}

/** True when `btf` has a type spelled `type` ("struct event", "union u", "enum e", or a plain name of any kind). */
function hasType(btf: Btf, type: string): boolean {
  const m = /^(struct|union|enum)\s+(\S+)$/.exec(type.trim());
  const bare = m ? m[2]! : type.trim();
  const kinds = m ? NAMED_KINDS[m[1]!]! : undefined;
  return btf.idsByName(bare).some((id) => kinds === undefined || kinds.includes(btf.kindOf(id)));
}

/** Where a record type is looked up, for messages ("the object's BTF"). */
export interface RecordTypeContext {
  /** What reads the records ("ring buffer 'events'"). */
  readonly reader: string;
}

/**
 * The codec of record type `type` (a BTF id or a name) of `btf`. A name that
 * `btf` does not have is a NotFoundError that explains why clang drops such
 * types, gives the usual fix and lists similar names.
 */
export function recordCodec<T>(btf: Btf | undefined, type: number | string, options: CodecOptions, context: RecordTypeContext): BtfCodec<T> {
  if (typeof type !== "number" && typeof type !== "string") {
    throw new InvalidArgumentError(`${context.reader}: type must be a BTF type name or id (got ${describeValue(type)})`, "type");
  }
  if (btf === undefined) {
    throw new NotFoundError(`${context.reader}: the object has no BTF to decode records of type ${String(type)} with; compile it with clang -g`);
  }
  if (typeof type === "string" && !hasType(btf, type)) {
    const bare = type.replace(/^(struct|union|enum)\s+/, "").trim();
    const similar = similarTypeNames(btf, bare);
    throw new NotFoundError(
      `${context.reader}: type '${type}' is not in the object's BTF. clang emits BTF only for types used by globals, maps, ` +
        "function signatures and CO-RE accesses, and drops a struct used only through local variables or pointers inside functions " +
        `(such as a bpf_ringbuf_reserve() result). Keep it with a global of its pointer type in the BPF source, e.g. ` +
        `\`${type.startsWith("struct ") || type.startsWith("union ") ? type : `struct ${bare}`} *unused_${bare} __attribute__((unused));\`, ` +
        "or use it in a map's __type() or a global variable." +
        (similar.length > 0 ? ` Similar types in the object: ${similar.join(", ")}.` : ""),
    );
  }
  return BtfCodec.of<T>(btf, type, options);
}
