// The object/command tables of the CLI and bpftool-style dispatch:
// `tsbpf OBJECT COMMAND …`, commands chosen by the first one (in table
// order) that the word abbreviates, `help` and --help at every level.
import { Args, UsageError, isPrefix, type GlobalOptions } from "./args.js";
import type { Output } from "./output.js";
import { suggestion } from "./suggest.js";

/** What every command gets besides its arguments. */
export interface Context {
  readonly out: Output;
  readonly options: GlobalOptions;
}

/** One verb of an object, e.g. `map dump`. */
export interface Command {
  readonly name: string;
  /** The synopsis lines of this verb, shown in its help. */
  readonly synopsis: string;
  /** Worked examples shown by `tsbpf OBJECT COMMAND help`. */
  readonly examples?: readonly string[];
  /** Runs the command; the exit status is 0 unless it throws or returns a number. */
  run(args: Args, ctx: Context): number | void | Promise<number | void>;
}

/** An object of the CLI, e.g. `map`, with its verbs in bpftool's matching order. */
export interface ObjectCommands {
  readonly name: string;
  /** One line describing the object, for the top-level help. */
  readonly summary: string;
  /** Grammar notes printed after the synopses (MAP := …, flags, …). */
  readonly grammar: string;
  readonly commands: readonly Command[];
  /**
   * What `tsbpf OBJECT` alone runs: bpftool runs the object's first command
   * (`bpftool prog` is `prog show`, `bpftool feature` is `feature probe`),
   * and so does tsbpf unless this names another verb, or "help" to print
   * the object's help (bpftool's `iter` lists help first).
   */
  readonly bare?: string;
}

/** The object's usage lines: aliases (`show` and `list`, `push` and `enqueue`) share one synopsis, printed once. */
export function uniqueSynopses(obj: ObjectCommands): string[] {
  return [...new Set(obj.commands.map((c) => c.synopsis))];
}

/** Full help of an object: every synopsis, the grammar, and a few examples. */
export function objectHelp(obj: ObjectCommands): string {
  const synopses = uniqueSynopses(obj);
  const lines = synopses.map((s, i) => `${i === 0 ? "Usage:" : "      "} tsbpf ${obj.name} ${s}`);
  lines.push(`       tsbpf ${obj.name} help`, "", obj.grammar.trimEnd());
  const examples = obj.commands.flatMap((c) => c.examples?.slice(0, 1) ?? []);
  if (examples.length) lines.push("", "Examples:", ...examples.map((e) => `  ${e}`));
  lines.push("", `Keywords may be abbreviated (tsbpf ${obj.name} ${obj.commands[0]?.name.slice(0, 1) ?? ""} …). Run 'tsbpf ${obj.name} COMMAND help' for one command.`);
  return lines.join("\n");
}

/** Help of a single command. */
export function commandHelp(obj: ObjectCommands, cmd: Command): string {
  const lines = [`Usage: tsbpf ${obj.name} ${cmd.synopsis}`, "", obj.grammar.trimEnd()];
  if (cmd.examples?.length) lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/** Runs `words` (the words after the object name) against an object's table. */
export async function dispatchObject(obj: ObjectCommands, words: readonly string[], ctx: Context): Promise<number> {
  const verb = words[0] ?? (ctx.options.help ? "help" : obj.bare ?? obj.commands[0]?.name ?? "help");
  if (isPrefix(verb, "help")) {
    ctx.out.line(objectHelp(obj));
    return 0;
  }
  const cmd = obj.commands.find((c) => isPrefix(verb, c.name));
  if (!cmd) {
    throw new UsageError(`unknown command '${verb}' for '${obj.name}'${suggestion(verb, [...obj.commands.map((c) => c.name), "help"])}`, obj.name);
  }
  const rest = words.slice(1);
  if (ctx.options.help || (rest.length === 1 && rest[0] === "help")) {
    ctx.out.line(commandHelp(obj, cmd));
    return 0;
  }
  const result = await cmd.run(new Args(rest, `${obj.name} ${cmd.name}`), ctx);
  return typeof result === "number" ? result : 0;
}
