// generateSkeleton: a BPF object in, a typed TypeScript module out (what
// `tsbpf gen skeleton` prints). The object is parsed as the loader will parse
// it, the module's contents are decided from it (model.ts) and written out
// (render.ts); the output depends only on the object's bytes and the options.
import { ObjectSpec } from "../../object/object-spec.js";
import { ObjectError } from "../../object/errors.js";
import { InvalidArgumentError } from "../../sys/errors.js";
import { buildModel } from "./model.js";
import { renderSkeleton, type ObjectSource } from "./render.js";

/** Options of generateSkeleton (and of `tsbpf gen skeleton`). */
export interface SkeletonOptions {
  /** Object name: prefix of the module's names (`bootstrap` → `BootstrapSkeleton`) and of its internal map names. Default "object" (the CLI: the file name without .bpf.o / .o). */
  readonly name?: string;
  /** Reference the object by this path (relative to the generated module) instead of embedding it as base64. */
  readonly objectPath?: string;
  /** Extra named types to declare (bpf2go's -type): "struct event", "event", a typedef or enum name. */
  readonly types?: readonly string[];
  /** Ring buffer / perf event array map name → record type name: a typed reader of that map under `events`. */
  readonly eventTypes?: Readonly<Record<string, string>>;
  /** The module the skeleton imports tsbpf from (default "tsbpf"; a relative path for in-repo use). */
  readonly importFrom?: string;
}

/** A generated skeleton module. */
export interface SkeletonOutput {
  /** The TypeScript module. */
  readonly source: string;
  /** What the generator renamed, skipped or left raw, and why (the CLI prints them on stderr). */
  readonly notes: readonly string[];
}

/** The object as the loader parses it; an object that needs BTF and has none gets the fix in the message. */
function parseObject(object: Uint8Array, name: string): ObjectSpec {
  try {
    return ObjectSpec.parse(object, { name });
  } catch (e) {
    if (e instanceof ObjectError && /no BTF/.test(e.message)) {
      throw new ObjectError(`cannot generate a skeleton: ${e.message}; compile the object with clang -g so it carries BTF`, { section: e.section, cause: e });
    }
    throw e;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The CLI command that regenerates a module with these options (for the module's header). */
function commandLine(name: string, options: SkeletonOptions): string {
  const file = options.objectPath !== undefined ? options.objectPath.slice(options.objectPath.lastIndexOf("/") + 1) : `${name}.bpf.o`;
  const parts = ["tsbpf gen skeleton", file, "name", name];
  for (const t of options.types ?? []) parts.push("type", /\s/.test(t) ? JSON.stringify(t) : t);
  for (const [map, type] of Object.entries(options.eventTypes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push("event", /\s/.test(type) ? JSON.stringify(`${map}=${type}`) : `${map}=${type}`);
  }
  if (options.objectPath !== undefined) parts.push("path", options.objectPath);
  if (options.importFrom !== undefined) parts.push("import", options.importFrom);
  return parts.join(" ");
}

/**
 * Generates the TypeScript skeleton of a BPF object (clang -g, so it has
 * BTF): a module exporting `<Name>Skeleton` — open() / rodata / load() /
 * attach() / maps / programs / bss / data / events / close() — and the
 * interfaces and enums of the types its maps, variables and events use.
 * Throws ObjectError for an unreadable object, BtfError for a `types` /
 * `eventTypes` name the BTF lacks (with the usual fix), InvalidArgumentError
 * for bad options. What the generator cannot express is in `notes`, with what
 * it did instead.
 */
export function generateSkeleton(object: Uint8Array, options: SkeletonOptions = {}): SkeletonOutput {
  if (!(object instanceof Uint8Array)) throw new InvalidArgumentError("generateSkeleton(object): object must be a Uint8Array", "object");
  const name = options.name ?? "object";
  if (!NAME.test(name)) throw new InvalidArgumentError(`skeleton name '${name}' is not an identifier (letters, digits, _)`, "name");
  for (const t of options.types ?? []) if (typeof t !== "string" || t.trim() === "") throw new InvalidArgumentError("types: every type must be a non-empty string", "types");
  const spec = parseObject(object, name);
  const model = buildModel(spec, { name, types: options.types ?? [], eventTypes: options.eventTypes ?? {} });
  const source: ObjectSource = options.objectPath !== undefined ? { path: options.objectPath } : { embed: object };
  return {
    source: renderSkeleton({ model, object: source, importFrom: options.importFrom ?? "tsbpf", command: commandLine(name, options) }),
    notes: model.notes,
  };
}
