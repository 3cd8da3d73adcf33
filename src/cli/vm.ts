// `tsbpf vm …`: the user-space BPF machine from the command line. `vm run`
// test-runs a program of an object file like `prog run`. `vm exec`
// speaks the plugin protocol of the public BPF conformance suites
// (bpf_conformance): the program as whitespace-separated hex bytes on stdin,
// the memory as one optional hex argument, r1 = the memory, r2 = its length;
// r0 goes to stdout in lowercase hex without a prefix; an invalid program or
// a fault goes to stderr with a non-zero exit.
import { existsSync, readFileSync } from "node:fs";
import { UsageError, type Args } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { parseTestRunArgs, printTestRunResult } from "./test-run-args.js";
import { loadBtfFile } from "../btf/index.js";
import { loadObjectSpec } from "../object/index.js";
import { Machine, VmCollection, VmProgram, type Engine } from "../vm/index.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";

const GRAMMAR = `PROGRAM    := BPF instructions on stdin, whitespace-separated hex bytes ("b7 00 00 00 2a 00 00 00 95 00 ...")
MEMORY_HEX := the bytes r1 points to, one argument of hex bytes ("00 01 ff"); r2 is their count
ENGINE     := { --interpreter | --jit }  (default --interpreter)
OBJ        := a BPF object file (clang -target bpf)
PROG_NAME  := the C name of one of its programs
FILE       := a path; '-' is stdin (data_in/ctx_in) or stdout (data_out/ctx_out)

'vm run' loads OBJ into the machine (maps, global data, CO-RE against the
running kernel's BTF when there is one, else the object's own) and test-runs
one program as 'prog run' does in the kernel, with the same arguments and
output; lines the program prints with bpf_printk go to stderr.`;

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
    {
      name: "run",
      synopsis: "run OBJ PROG_NAME data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] [repeat N] [ENGINE]",
      examples: [
        "tsbpf vm run examples/xdp-counter/xdp-counter.bpf.o count_protocols data_in examples/vm/udp-frame.bin repeat 100",
        "tsbpf vm run examples/xdp-counter/xdp-counter.bpf.o count_protocols data_in examples/vm/udp-frame.bin data_out - --jit",
      ],
      run: runCommand,
    },
  ],
};

function runCommand(args: Args, ctx: Context): void {
  const file = args.next("OBJ");
  const name = args.next("PROG_NAME");
  let engine: Engine = "interpreter";
  const request = parseTestRunArgs(args, (w) => {
    if (w === "--jit" || w === "--interpreter") engine = w === "--jit" ? "jit" : "interpreter";
    return w === "--jit" || w === "--interpreter";
  });
  const spec = loadObjectSpec(file);
  const btf = existsSync(VMLINUX) ? loadBtfFile(VMLINUX) : undefined;
  using vm = VmCollection.load(spec, btf ? { btf, btfName: "vmlinux" } : {});
  const result = vm.program(name).testRun({ ...request.options, engine });
  for (const line of vm.kernel.trace) process.stderr.write(`${line.text}\n`);
  printTestRunResult(request, result, ctx);
}

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
