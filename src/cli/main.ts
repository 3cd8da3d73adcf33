#!/usr/bin/env node
// The `tsbpf` command: `tsbpf [OPTIONS] OBJECT { COMMAND | help }`, with
// bpftool's grammar. Objects are loaded on demand so that one object's
// dependencies cannot break another (and start-up stays quick).
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BpfError } from "../sys/errors.js";
import { packageRoot } from "../sys/package-root.js";
import { UsageError, isPrefix, parseGlobalOptions, type GlobalOptions } from "./args.js";
import { dispatchObject, type ObjectCommands } from "./command.js";
import { Output } from "./output.js";

interface ObjectEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<ObjectCommands>;
}

// In bpftool's matching order for the objects tsbpf has.
const OBJECTS: readonly ObjectEntry[] = [
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

const NAME_WIDTH = Math.max(...OBJECTS.map((o) => o.name.length));
const OPTIONS_HELP = "OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} | {-n|--nomount} | {-h|--help} | {-V|--version} }";

function mainHelp(): string {
  return [
    "Usage: tsbpf [OPTIONS] OBJECT { COMMAND | help }",
    "       tsbpf version",
    "",
    `       OBJECT := { ${OBJECTS.map((o) => o.name).join(" | ")} }`,
    `       ${OPTIONS_HELP}`,
    "",
    ...OBJECTS.map((o) => `  ${o.name.padEnd(NAME_WIDTH)} ${o.summary}`),
    "",
    "Examples:",
    "  tsbpf feature probe --summary",
    "  tsbpf map show",
    "  tsbpf -j prog show id 42",
    "",
    "Keywords may be abbreviated: 'tsbpf m s' is 'tsbpf map show'. 'tsbpf OBJECT help' explains each object.",
  ].join("\n");
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function run(argv: readonly string[], options: GlobalOptions, out: Output): Promise<number> {
  const [objectWord, ...rest] = argv;
  if (options.version || (objectWord !== undefined && isPrefix(objectWord, "version") && objectWord.length > 1)) {
    if (out.json) out.jsonValue({ version: version() });
    else out.line(`tsbpf v${version()}`);
    return 0;
  }
  if (objectWord === undefined || isPrefix(objectWord, "help")) {
    if (objectWord === undefined && !options.help) throw new UsageError("missing OBJECT");
    out.line(mainHelp());
    return 0;
  }
  const entry = OBJECTS.find((o) => isPrefix(objectWord, o.name));
  if (!entry) throw new UsageError(`unknown object '${objectWord}' (expected one of: ${OBJECTS.map((o) => o.name).join(", ")})`);
  return dispatchObject(await entry.load(), rest, { out, options });
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let debug = argv.includes("-d") || argv.includes("--debug");
  let out: Output | undefined;
  try {
    const { options, words } = parseGlobalOptions(argv);
    debug = options.debug;
    out = new Output(options);
    return await run(words, options, out);
  } catch (e) {
    return reportError(e, debug);
  } finally {
    // What a command printed before failing still goes out (e.g. dump entries before an error).
    out?.flush();
  }
}

/** Prints one clear error paragraph to stderr; stack traces only with --debug. */
function reportError(e: unknown, debug: boolean): number {
  if (e instanceof UsageError) {
    const topic = e.topic ? `tsbpf ${e.topic} help` : "tsbpf help";
    process.stderr.write(`Error: ${e.message}\nRun '${topic}' for usage.\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return 2;
  }
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof BpfError ? ` [${e.code}]` : "";
  process.stderr.write(`Error: ${message}${code}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return 1;
}

function invokedAsScript(): boolean {
  try {
    // argv[1] may be a symlink (node_modules/.bin/tsbpf).
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedAsScript()) {
  process.exitCode = await main(process.argv.slice(2));
}
