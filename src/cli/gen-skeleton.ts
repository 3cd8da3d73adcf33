// `tsbpf gen skeleton OBJ [name NAME] [type TYPE]... [event MAP=TYPE]... [path [PATH]] [import MODULE]`:
// the typed TypeScript module of a BPF object on stdout (bpftool's verb,
// with bpf2go's -type), and what the generator renamed or left raw on stderr
// (`-j`: one JSON object { source, notes } instead).
import path from "node:path";
import { readRegularFile } from "../elf/file.js";
import { ObjectError } from "../object/errors.js";
import { generateSkeleton } from "../gen/skeleton/index.js";
import { UsageError, type Args } from "./args.js";
import type { Context } from "./command.js";

const KEYWORDS = ["name", "type", "event", "path", "import"] as const;

/** The default skeleton name of an object file: its base name up to the first dot (`bootstrap.bpf.o` → `bootstrap`). */
export function skeletonNameOf(file: string): string {
  const base = path.basename(file);
  const dot = base.indexOf(".");
  return (dot > 0 ? base.slice(0, dot) : base).replace(/[^A-Za-z0-9_]/g, "_");
}

/** Runs `tsbpf gen skeleton`. */
export function run(args: Args, ctx: Context): Promise<number | void> {
  const file = args.next("OBJ (a BPF object file)");
  let name = skeletonNameOf(file);
  const types: string[] = [];
  const eventTypes: Record<string, string> = {};
  let objectPath: string | undefined;
  let importFrom: string | undefined;
  while (args.remaining > 0) {
    if (args.accept("name")) name = args.next("NAME");
    else if (args.accept("type")) types.push(args.next("TYPE"));
    else if (args.accept("event")) {
      const spec = args.next("MAP=TYPE");
      const eq = spec.indexOf("=");
      if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`event wants MAP=TYPE (e.g. events=event), got '${spec}'`, args.topic);
      eventTypes[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (args.accept("path")) {
      const next = args.peek();
      objectPath = next !== undefined && !(KEYWORDS as readonly string[]).includes(next) ? args.next("PATH") : `./${path.basename(file)}`;
    } else if (args.accept("import")) importFrom = args.next("MODULE");
    else args.end();
  }
  const object = readRegularFile(file, (m) => new ObjectError(m));
  const { source, notes } = generateSkeleton(object, { name, types, eventTypes, objectPath, importFrom });
  if (ctx.out.json) ctx.out.jsonValue({ source, notes });
  else {
    ctx.out.text(source);
    for (const note of notes) process.stderr.write(`Note: ${note}\n`);
  }
  return Promise.resolve();
}
