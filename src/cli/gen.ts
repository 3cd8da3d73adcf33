// `tsbpf gen …`: code generation, bpftool's `gen` object. Each verb lives in
// its own file and is imported only when run, so `gen build` (which spawns
// clang) costs nothing to the other verbs.
import type { Args } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";

const GRAMMAR = `OBJ     := a BPF object file (clang -target bpf -g)
TYPE    := a type of OBJ's BTF: "struct NAME", "union NAME", "enum NAME", or a NAME (struct, union, enum or typedef)
MAP=TYPE := a ring buffer or perf event array map of OBJ and its record type: a typed reader under skel.events.MAP
path [PATH] := reference the object by PATH, relative to the module (default ./OBJ's file name), instead of embedding it
MODULE  := where the skeleton imports tsbpf from (default "tsbpf")
SRC     := a BPF C source; build writes DIR/NAME.bpf.o and DIR/NAME.skel.ts, and
           rebuilds only when the source, a header, the flags or clang changed
CFLAGS  := extra clang flags, after tsbpf's -g -O2 -target bpf -D__TARGET_ARCH_*
OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }`;

/** The `gen` object of the CLI. */
export const genCommands: ObjectCommands = {
  name: "gen",
  summary: "generate typed skeletons, build .bpf.c sources, and minimal BTF for CO-RE",
  grammar: GRAMMAR,
  commands: [
    {
      name: "skeleton",
      synopsis: "skeleton OBJ [name NAME] [type TYPE]... [event MAP=TYPE]... [path [PATH]] [import MODULE]",
      examples: [
        "tsbpf gen skeleton bootstrap.bpf.o > bootstrap.skel.ts",
        "tsbpf gen skeleton bootstrap.bpf.o event events=process_event path > bootstrap.skel.ts",
      ],
      run: async (args: Args, ctx: Context) => (await import("./gen-skeleton.js")).run(args, ctx),
    },
    {
      name: "build",
      synopsis: "build SRC.bpf.c [-o DIR] [name NAME] [btf FILE] [type TYPE]... [event MAP=TYPE]... [path] [import MODULE] [force] [-- CFLAGS...]",
      examples: [
        "tsbpf gen build examples/bootstrap/bootstrap.bpf.c -o /tmp/bootstrap event events=process_event",
        "tsbpf gen build examples/bootstrap/bootstrap.bpf.c -o /tmp/bootstrap name boot -- -DDEBUG -Wall",
      ],
      run: async (args: Args, ctx: Context) => (await import("./gen-build.js")).run(args, ctx),
    },
    {
      name: "min_core_btf",
      synopsis: "min_core_btf INPUT OUTPUT OBJECT [OBJECT...]",
      examples: ["tsbpf gen min_core_btf /sys/kernel/btf/vmlinux min.btf opensnoop.bpf.o"],
      run: async (args: Args, ctx: Context) => (await import("./gen-min-core-btf.js")).run(args, ctx),
    },
  ],
};
