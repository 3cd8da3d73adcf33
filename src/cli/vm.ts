// `tsbpf vm …`: the user-space BPF machine from the command line. `vm exec`
// speaks the plugin protocol of the public BPF conformance suites
// (bpf_conformance): the program as whitespace-separated hex bytes on stdin,
// the memory as one optional hex argument, r1 = the memory, r2 = its length;
// r0 goes to stdout in lowercase hex without a prefix; an invalid program or
// a fault goes to stderr with a non-zero exit.
import { readFileSync } from "node:fs";
import { UsageError, type Args } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { Machine, VmProgram, type Engine } from "../vm/index.js";

const GRAMMAR = `PROGRAM    := BPF instructions on stdin, whitespace-separated hex bytes ("b7 00 00 00 2a 00 00 00 95 00 ...")
MEMORY_HEX := the bytes r1 points to, one argument of hex bytes ("00 01 ff"); r2 is their count
ENGINE     := { --interpreter | --jit }  (default --interpreter)`;

/** The `vm` object of the CLI. */
export const vmCommands: ObjectCommands = {
  name: "vm",
  summary: "run BPF programs in the user-space machine (no kernel, no root)",
  grammar: GRAMMAR,
  commands: [
    {
      name: "exec",
      synopsis: "exec [MEMORY_HEX] [ENGINE]",
      examples: [
        "tsbpf vm exec < examples/vm/return-42.hex",
        "tsbpf vm exec '01 02 03 04' --jit < examples/vm/load-word.hex",
      ],
      run: execCommand,
    },
  ],
};

function execCommand(args: Args, ctx: Context): void {
  let memoryHex: string | undefined;
  let engine: Engine = "interpreter";
  while (args.remaining > 0) {
    if (args.acceptExact("--interpreter")) engine = "interpreter";
    else if (args.acceptExact("--jit")) engine = "jit";
    else if (memoryHex === undefined && !(args.peek() ?? "").startsWith("--")) memoryHex = args.next("MEMORY_HEX");
    else args.end();
  }
  const memory = parseHexBytes(memoryHex ?? "", "MEMORY_HEX", (m) => new UsageError(m, args.topic));
  const code = parseHexBytes(readFileSync(0, "utf8"), "the program on stdin", (m) => new UsageError(m, args.topic));
  const program = VmProgram.fromBytes(code);
  const machine = new Machine();
  const region = memory.byteLength > 0 ? machine.memory.map("memory", memory) : undefined;
  const { r0 } = machine.run(program, { args: [region?.base ?? 0n, memory.byteLength], engine });
  if (ctx.out.json) ctx.out.jsonValue({ r0: `0x${r0.toString(16)}` });
  else ctx.out.line(r0.toString(16));
}

/** Whitespace-separated hex bytes ("0a ff", "0x0a 0xff", or runs of pairs like "0aff"). */
export function parseHexBytes(text: string, what: string, error: (message: string) => Error): Uint8Array {
  const out: number[] = [];
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    const digits = word.replace(/^0x/i, "");
    if (!/^[0-9a-fA-F]+$/.test(digits) || (digits.length > 2 && digits.length % 2 !== 0)) throw error(`${what}: '${word}' is not a hex byte`);
    for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}
