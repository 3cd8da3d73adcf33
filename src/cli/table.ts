// The CLI's command table: the objects `tsbpf` knows, in bpftool's matching
// order, each loaded on demand (so one object's dependencies cannot break
// another, and start-up stays quick). Help, did-you-mean, bash completion,
// the man pages and docs/cli.md are all made from this one table.
import type { ObjectCommands } from "./command.js";

/** One object of the CLI, before its commands are loaded. */
export interface ObjectEntry {
  readonly name: string;
  /** One line for the top-level help and the man page's object list. */
  readonly summary: string;
  load(): Promise<ObjectCommands>;
}

/** Every object, in bpftool's matching order for the objects tsbpf has (`tsbpf c` is cgroup). */
export const OBJECTS: readonly ObjectEntry[] = [
  { name: "prog", summary: "inspect, pin, dump and test-run programs", load: async () => (await import("./prog.js")).progCommands },
  { name: "map", summary: "create, inspect and edit maps", load: async () => (await import("./map.js")).mapCommands },
  { name: "link", summary: "list, pin and detach BPF links", load: async () => (await import("./link.js")).linkCommands },
  { name: "cgroup", summary: "show, attach and detach the programs of cgroups", load: async () => (await import("./cgroup.js")).cgroupCommands },
  { name: "perf", summary: "list perf-event attachments of every process", load: async () => (await import("./perf.js")).perfCommands },
  { name: "net", summary: "show, attach and detach XDP, tcx and tc programs on network devices", load: async () => (await import("./net.js")).netCommands },
  { name: "feature", summary: "probe what the running kernel supports", load: async () => (await import("./feature.js")).featureCommands },
  { name: "btf", summary: "inspect BTF and generate vmlinux.h", load: async () => (await import("./btf.js")).btfCommands },
  { name: "struct_ops", summary: "show, dump, register and unregister struct_ops maps", load: async () => (await import("./struct-ops.js")).structOpsCommands },
  { name: "iter", summary: "pin BPF iterators", load: async () => (await import("./iter.js")).iterCommands },
  { name: "gen", summary: "generate typed skeletons, build .bpf.c sources, and minimal BTF for CO-RE", load: async () => (await import("./gen.js")).genCommands },
];

/** Words accepted in place of an object: `tsbpf version`, `tsbpf help`, `tsbpf completion bash`. */
export const TOP_LEVEL_WORDS: readonly string[] = ["version", "help", "completion"];

/** One global option, for the man page and completion. */
export interface GlobalOptionHelp {
  readonly short: string;
  readonly long: string;
  readonly description: string;
}

/** The global options (args.ts parses them), described. */
export const GLOBAL_OPTIONS: readonly GlobalOptionHelp[] = [
  { short: "-j", long: "--json", description: "Print JSON instead of text, laid out as bpftool's. Errors are printed as {\"error\": MESSAGE} on stdout." },
  { short: "-p", long: "--pretty", description: "Print indented JSON (implies --json)." },
  { short: "-d", long: "--debug", description: "Print the loader's debug lines (CO-RE relocations, maps created, programs loaded) on stderr, the whole verifier log when the verifier rejects a program, and stack traces." },
  { short: "-f", long: "--bpffs", description: "With show: list the bpffs paths each object is pinned at." },
  { short: "-n", long: "--nomount", description: "Never mount bpffs at /sys/fs/bpf when a pin needs it." },
  { short: "-h", long: "--help", description: "Print the help of the object or command given." },
  { short: "-V", long: "--version", description: "Print the version." },
];

/** The global options, as the top-level help and every man page state them. */
export const OPTIONS_HELP =
  "OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} | {-n|--nomount} | {-h|--help} | {-V|--version} }";

/** Examples of the top-level help (each runs as written: test/cli/cli-examples.test.ts). */
export const MAIN_EXAMPLES: readonly string[] = [
  "tsbpf feature probe --summary",
  "tsbpf map show",
  "tsbpf -j prog show name handle_exec",
];

/** The top-level help: `tsbpf help`, `tsbpf --help`. */
export function mainHelp(): string {
  const width = Math.max(...OBJECTS.map((o) => o.name.length));
  return [
    "Usage: tsbpf [OPTIONS] OBJECT { COMMAND | help }",
    "       tsbpf version",
    "       tsbpf completion bash",
    "",
    `       OBJECT := { ${OBJECTS.map((o) => o.name).join(" | ")} }`,
    `       ${OPTIONS_HELP}`,
    "",
    ...OBJECTS.map((o) => `  ${o.name.padEnd(width)} ${o.summary}`),
    "",
    "Examples:",
    ...MAIN_EXAMPLES.map((e) => `  ${e}`),
    "",
    "Keywords may be abbreviated: 'tsbpf m s' is 'tsbpf map show'. An object alone runs its first",
    "command, as in bpftool ('tsbpf prog' is 'tsbpf prog show'). 'tsbpf OBJECT help' explains each object.",
  ].join("\n");
}

/** Every object with its commands loaded (for completion, man pages and docs). */
export async function loadAllObjects(): Promise<ObjectCommands[]> {
  return Promise.all(OBJECTS.map((o) => o.load()));
}
