// `tsbpf gen build SRC.bpf.c [-o DIR] [name NAME] … [-- CFLAGS…]`: compile a
// BPF C source with clang and write its object and typed skeleton, rebuilding
// only when an input changed (src/gen/build). The global option parser drops
// `--` and passes `-o` through, so the compiler flags are the words from the
// first one that starts with "-" (other than -o) to the end.
import { Args, UsageError } from "./args.js";
import type { Context } from "./command.js";
import { buildObject, type BuildOptions } from "../gen/build/index.js";

interface Parsed {
  readonly source: string;
  readonly options: BuildOptions;
}

function parse(args: Args): Parsed {
  let outputDir: string | undefined;
  if (args.acceptExact("-o")) outputDir = args.next("DIR after -o");
  const source = args.next("SRC (a .bpf.c file)");
  let name: string | undefined;
  let btf: string | undefined;
  let referenceObject = false;
  let importFrom: string | undefined;
  let force = false;
  const types: string[] = [];
  const eventTypes: Record<string, string> = {};
  const cflags: string[] = [];
  while (args.remaining) {
    const word = args.peek()!;
    if (word === "-o") {
      args.next("-o");
      outputDir = args.next("DIR after -o");
    } else if (word.startsWith("-")) {
      while (args.remaining) cflags.push(args.next("CFLAGS"));
    } else if (args.accept("name")) {
      name = args.next("NAME");
    } else if (args.accept("btf")) {
      btf = args.next("FILE (BTF for vmlinux.h)");
    } else if (args.accept("type")) {
      types.push(args.next("TYPE"));
    } else if (args.accept("event")) {
      const spec = args.next("MAP=TYPE");
      const eq = spec.indexOf("=");
      if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`'${spec}' is not MAP=TYPE`, args.topic);
      eventTypes[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (args.accept("path")) {
      referenceObject = true;
    } else if (args.accept("import")) {
      importFrom = args.next("MODULE (where the skeleton imports tsbpf from)");
    } else if (args.accept("force")) {
      force = true;
    } else {
      throw new UsageError(`unexpected argument '${word}' (compiler flags go after --)`, args.topic);
    }
  }
  const skeleton = {
    ...(types.length ? { types } : {}),
    ...(Object.keys(eventTypes).length ? { eventTypes } : {}),
    ...(importFrom !== undefined ? { importFrom } : {}),
  };
  return { source, options: { outputDir, name, btf, cflags, force, skeleton, referenceObject } };
}

/** Runs `tsbpf gen build`. */
export async function run(args: Args, ctx: Context): Promise<number | void> {
  const { source, options } = parse(args);
  ctx.out.flush();
  const result = await buildObject(source, options);
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  if (ctx.out.json) {
    ctx.out.jsonValue({
      object: result.objectPath,
      skeleton: result.skeletonPath,
      up_to_date: result.upToDate,
      reason: result.reason ?? null,
      clang: result.clang,
      clang_version: result.clangVersion ?? null,
      vmlinux: result.vmlinux.path,
      vmlinux_generated: result.vmlinux.generated,
      flags: result.flags,
      inputs: result.inputs,
      notes: result.notes,
    });
    return;
  }
  if (result.upToDate) {
    ctx.out.line(`${result.objectPath} is up to date`);
    return;
  }
  if (result.vmlinux.generated) ctx.out.line(`generated ${result.vmlinux.path}`);
  ctx.out.line(`built ${result.objectPath} and ${result.skeletonPath} (${result.reason})`);
  if (ctx.options.debug) ctx.out.line(`${result.clang} ${result.flags.join(" ")}`);
}
