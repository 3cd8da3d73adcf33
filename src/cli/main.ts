#!/usr/bin/env node
// The `tsbpf` command: `tsbpf [OPTIONS] OBJECT { COMMAND | help }`, with
// bpftool's grammar (the objects are in table.ts), and bpftool's habits at
// the edges: errors as {"error": …} on stdout under -j, a quiet exit when
// the reader of stdout goes away (`tsbpf … | head`).
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BpfError } from "../sys/errors.js";
import { VerifierError } from "../program/verifier-error.js";
import { packageRoot } from "../sys/package-root.js";
import { UsageError, isPrefix, parseGlobalOptions, type GlobalOptions } from "./args.js";
import { dispatchObject } from "./command.js";
import { Output } from "./output.js";
import { OBJECTS, TOP_LEVEL_WORDS, mainHelp } from "./table.js";
import { suggestion } from "./suggest.js";

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
  // No object at all: the usage, as bpftool prints it (status 0).
  if (objectWord === undefined || isPrefix(objectWord, "help")) {
    out.line(mainHelp());
    return 0;
  }
  const entry = OBJECTS.find((o) => isPrefix(objectWord, o.name));
  if (entry) return dispatchObject(await entry.load(), rest, { out, options });
  if (objectWord.length > 1 && isPrefix(objectWord, "completion")) {
    return (await import("./completion.js")).completionCommand(rest, out);
  }
  throw new UsageError(`unknown object '${objectWord}'${suggestion(objectWord, [...OBJECTS.map((o) => o.name), ...TOP_LEVEL_WORDS])}`);
}

/**
 * Exit status when stdout's reader has gone (`tsbpf … | head -1`): 141,
 * 128 + SIGPIPE, what the shell reports for bpftool and coreutils, which
 * the signal ends (Node.js ignores SIGPIPE, so it cannot die of it).
 */
export const EXIT_BROKEN_PIPE = 141;

/**
 * A closed pipe ends the command quietly, as SIGPIPE ends bpftool: no
 * EPIPE stack trace, nothing more written.
 */
function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(EXIT_BROKEN_PIPE);
      throw e;
    });
  }
}

/** True for the error of writing to a pipe whose reader has gone. */
function isBrokenPipe(e: unknown): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === "EPIPE";
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let debug = argv.includes("-d") || argv.includes("--debug");
  let out: Output | undefined;
  try {
    try {
      const { options, words } = parseGlobalOptions(argv);
      debug = options.debug;
      out = new Output(options);
      const status = await run(words, options, out);
      out.flush();
      return status;
    } catch (e) {
      if (isBrokenPipe(e)) throw e;
      // What a command printed before failing still goes out (e.g. dump entries before an error),
      // then the error: under -j a JSON object on stdout, as bpftool prints it.
      out?.flush();
      // An error in the options themselves (`tsbpf -j --bogus`) still answers in JSON when -j was there.
      out ??= new Output({ json: argv.some((a) => a === "--json" || a === "--pretty" || /^-[a-zA-Z]*[jp]/.test(a)), pretty: argv.some((a) => a === "--pretty" || /^-[a-zA-Z]*p/.test(a)) });
      return reportError(e, debug, out.json ? out : undefined);
    } finally {
      out?.flush();
    }
  } catch (e) {
    if (isBrokenPipe(e)) return EXIT_BROKEN_PIPE;
    throw e;
  }
}

/** How the library's verifier errors end (program/verifier-error.ts, collection/verifier-explain.ts). */
const LOG_PROPERTY_ADVICE = "The full verifier log is in the error's `log` property";

/**
 * Prints one clear error paragraph: on stderr, or as {"error": …} on stdout
 * under -j. Under -d, also the stack and a verifier error's whole log.
 */
function reportError(e: unknown, debug: boolean, json: Output | undefined): number {
  const status = e instanceof UsageError ? 2 : 1;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof UsageError) {
    const topic = e.topic ? `tsbpf ${e.topic} help` : "tsbpf help";
    message = json ? message : `${message}\nRun '${topic}' for usage.`;
  } else if (e instanceof BpfError) {
    message += ` [${e.code}]`;
  }
  // The library points at the error's `log` property; a CLI user reaches the log with -d.
  if (e instanceof VerifierError) message = message.replace(LOG_PROPERTY_ADVICE, debug ? "The full verifier log follows on stderr" : "Run with -d for the full verifier log");
  if (json) json.jsonValue({ error: message });
  else process.stderr.write(`Error: ${message}\n`);
  if (debug) {
    // The whole log: the message has only the lines that explain the failure.
    if (e instanceof VerifierError) process.stderr.write(`Verifier log:\n${e.log.trimEnd()}\n`);
    if (e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  }
  return status;
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
  exitQuietlyOnBrokenPipe();
  process.exitCode = await main(process.argv.slice(2));
}
