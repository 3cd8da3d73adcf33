// The fuzz suite's entries: every public entry point that takes outside
// bytes, each fed mutations of real inputs (the repository's compiled
// fixtures and their BTF). An entry may throw only the error classes it
// lists; anything else (TypeError, RangeError, a plain Error, a crash, a
// hang, runaway memory) is a bug. The loader runs up to the first bpf(2)
// call: parsing, linking, the instructions built and CO-RE relocation
// against the running kernel's BTF are pure; the CLI runs in-process.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btf, BtfError, encodeBtf, parseBtfExt, kernelBtf, type BtfTypeInput } from "../../src/btf/index.js";
import { btfFromElf } from "../../src/btf/elf.js";
import { dumpC } from "../../src/btf/dump-c.js";
import { dumpRaw } from "../../src/btf/dump-raw.js";
import { formatValueJson } from "../../src/btf/format-value.js";
import { ElfError, ElfFile, SHT } from "../../src/elf/index.js";
import { ObjectError } from "../../src/object/errors.js";
import { ObjectSpec } from "../../src/object/object-spec.js";
import { CoreRelocationError } from "../../src/core/errors.js";
import { createRelocator, relocateCore } from "../../src/collection/core.js";
import { main as cliMain } from "../../src/cli/main.js";
import { InvalidInstructionError } from "../../src/asm/errors.js";
import { mutate, type Rng } from "./mutate.js";

/** One fuzzed entry point. */
export interface FuzzEntry {
  readonly name: string;
  /** Share of the run's cases. */
  readonly weight: number;
  /** The error classes (by name) this entry may throw: the project's typed errors for its layer. */
  readonly typed: readonly string[];
  /** Runs one case; returns the typed error class the case ended in when it reports rather than throws (the CLI). */
  run(rng: Rng): void | string | Promise<void | string>;
}

const fixtures = new URL("../../../test/fixtures/", import.meta.url).pathname;

function objectsIn(dir: string): Uint8Array[] {
  return readdirSync(fixtures + dir).filter((f) => f.endsWith(".o")).sort().map((f) => new Uint8Array(readFileSync(fixtures + dir + "/" + f)));
}

/** Seeds, read once per worker. */
class Corpus {
  readonly objects = [...objectsIn("btf"), ...objectsIn("object"), ...objectsIn("core"), ...objectsIn("collection")];
  readonly coreObjects = [...objectsIn("core"), ...objectsIn("btf")];
  readonly btfs: Uint8Array[] = [];
  readonly exts: { btf: Uint8Array; ext: Uint8Array }[] = [];

  constructor() {
    for (const o of this.objects) {
      const elf = new ElfFile(o);
      const b = elf.section(".BTF");
      const x = elf.section(".BTF.ext");
      if (!b) continue;
      this.btfs.push(elf.data(b));
      if (x) this.exts.push({ btf: elf.data(b), ext: elf.data(x) });
    }
    this.btfs.push(...cyclicBtfs());
  }
}

/** Small BTFs whose reference graphs are cyclic or oversized in the ways malformed files are. */
function cyclicBtfs(): Uint8Array[] {
  const int: BtfTypeInput = { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 };
  const m = (name: string, type: number, bitOffset = 0) => ({ name, type, bitOffset, bitfieldSize: 0 });
  const graphs: BtfTypeInput[][] = [
    [{ kind: "TYPEDEF", name: "self", kindFlag: false, type: 1 }],
    [{ kind: "PTR", name: "", kindFlag: false, type: 1 }, { kind: "TYPEDEF", name: "p", kindFlag: false, type: 1 }],
    [{ kind: "CONST", name: "", kindFlag: false, type: 2 }, { kind: "VOLATILE", name: "", kindFlag: false, type: 1 }],
    [{ kind: "STRUCT", name: "s", kindFlag: false, size: 8, members: [m("me", 1)] }],
    [{ kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 2, nelems: 3 }, int],
    [{ kind: "UNION", name: "u", kindFlag: false, size: 4, members: [m("a", 2)] },
      { kind: "TYPEDEF", name: "t", kindFlag: false, type: 3 }, { kind: "ARRAY", name: "", kindFlag: false, type: 1, indexType: 4, nelems: 2 }, int],
    [int, { kind: "STRUCT", name: "list", kindFlag: false, size: 16, members: [m("next", 3), m("v", 1, 64)] }, { kind: "PTR", name: "", kindFlag: false, type: 2 }],
    [int, { kind: "STRUCT", name: "big", kindFlag: false, size: 0x1000, members: [m("a", 1), m("b", 1, 0x7f00)] }],
    [int, { kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: 1, params: [{ name: "x", type: 3 }] }, { kind: "PTR", name: "", kindFlag: false, type: 2 }],
  ];
  return graphs.map((g) => encodeBtf(g));
}

let corpus: Corpus | undefined;
const seeds = (): Corpus => (corpus ??= new Corpus());

/** Decodes and queries a sample of a Btf's types (resolve, sizes, alignments, names). */
function exerciseBtf(btf: Btf, rng: Rng, sample: number): void {
  const n = Math.min(btf.count, sample);
  for (let i = 0; i < n; i++) {
    const id = btf.firstId + rng.below(btf.count);
    try {
      btf.typeById(id);
      btf.nameOf(id);
      btf.resolve(id);
      btf.sizeOf(id);
      btf.alignOf(id);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  }
  btf.typesByName("int");
}

/** Output past this from a small input is a runaway dump. */
const MAX_DUMP_BYTES = 64 << 20;

function countingSink(): { onChunk: (c: Uint8Array) => void } {
  let total = 0;
  return {
    onChunk: (c) => {
      total += c.byteLength;
      if (total > MAX_DUMP_BYTES) throw new Error(`dump output passed ${MAX_DUMP_BYTES} bytes`);
    },
  };
}

function mutatedBtf(rng: Rng): Btf {
  return new Btf(mutate(rng.pick(seeds().btfs), rng));
}

let cliDir: string | undefined;
/** Captured CLI output: the worker's stdout and stderr are replaced while a CLI case runs. */
let captured = "";

/**
 * The [CODE] of a -j error object (`{"error": "message [CODE]"}`) ending the
 * output; with -d the debug lines (the error's class and stack) come first.
 */
function jsonErrorCode(output: string): string | undefined {
  return /"error":\s*"(?:[^"\\]|\\.)*\[([A-Z_]+)\]"\s*\}\s*$/.exec(output)?.[1];
}

async function runCli(argv: string[]): Promise<string | void> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  captured = "";
  const sink = ((chunk: string | Uint8Array): boolean => {
    if (captured.length < 4096) captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = sink;
  process.stderr.write = sink;
  let status: number;
  try {
    status = await cliMain(argv);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  if (status === 0) return;
  if (status === 2) return "UsageError";
  // The CLI prints `Error: message [CODE]` for the project's errors (under -j, bpftool's
  // {"error": "message [CODE]"} on stdout), and the bare message for anything else.
  const code = /^Error: [^]*\[([A-Z_]+)\]\n/m.exec(captured)?.[1] ?? jsonErrorCode(captured);
  if (status === 1 && code) return `BpfError[${code}]`;
  throw new Error(`CLI exited ${status} with an untyped error: ${captured.slice(0, 300)}`);
}

const CLI_WORDS = ["btf", "dump", "file", "format", "c", "raw", "root_id", "1", "0", "-1", "99999", "0x10", "-j", "-p", "--debug", "id", "help", "map", "prog", "junk", ""];

export const entries: readonly FuzzEntry[] = [
  {
    name: "elf",
    weight: 14,
    typed: ["ElfError", "BtfError"],
    run(rng) {
      const elf = new ElfFile(mutate(rng.pick(seeds().objects), rng));
      elf.symbols();
      elf.notes();
      for (const s of elf.sections) {
        if (s.type === SHT.REL || s.type === SHT.RELA) elf.relocations(s);
        elf.data(s);
      }
      btfFromElf(elf);
    },
  },
  {
    name: "btf",
    weight: 20,
    typed: ["BtfError"],
    run(rng) {
      const btf = mutatedBtf(rng);
      exerciseBtf(btf, rng, 200);
      if (rng.below(8) === 0) new Btf(encodeBtf(btf));
    },
  },
  {
    name: "btf.ext",
    weight: 14,
    typed: ["BtfError"],
    run(rng) {
      const s = rng.pick(seeds().exts);
      parseBtfExt(mutate(s.ext, rng), new Btf(s.btf));
    },
  },
  {
    name: "object",
    weight: 12,
    typed: ["ObjectError", "InvalidInstructionError"],
    run(rng) {
      const spec = ObjectSpec.parse(mutate(rng.pick(seeds().objects), rng), { allowUnknownSections: true });
      for (const p of spec.programs.values()) void p.instructions.length;
      for (const m of spec.maps.values()) void m.name;
    },
  },
  {
    name: "loader",
    weight: 5,
    typed: ["ObjectError", "InvalidInstructionError", "BtfError", "CoreRelocationError"],
    run(rng) {
      // Up to the first bpf(2) call: parse and link (ObjectSpec), the instructions built, CO-RE against this kernel's BTF.
      const spec = ObjectSpec.parse(mutate(rng.pick(seeds().coreObjects), rng), { allowUnknownSections: true });
      if (!spec.btf) return;
      const relocator = createRelocator(spec.btf, { btf: kernelBtf(), name: "vmlinux", modules: false }, spec.byteOrder);
      for (const p of spec.programs.values()) {
        void p.instructions.length;
        relocateCore(relocator, p, p.bytes.slice());
      }
    },
  },
  {
    name: "dump.c",
    weight: 8,
    typed: ["BtfError"],
    run(rng) {
      dumpC(mutatedBtf(rng), countingSink());
    },
  },
  {
    name: "dump.raw",
    weight: 12,
    typed: ["BtfError"],
    run(rng) {
      dumpRaw(mutatedBtf(rng), countingSink());
    },
  },
  {
    name: "format-value",
    weight: 12,
    typed: ["BtfError"],
    run(rng) {
      const btf = mutatedBtf(rng);
      const id = btf.firstId + rng.below(btf.count + 2);
      let size = 64;
      try {
        size = Math.min(btf.sizeOf(id), 1 << 16);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
      const bytes = new Uint8Array(rng.below(4) === 0 ? rng.below(size + 1) : size);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.below(256);
      formatValueJson(btf, id, bytes, { markers: rng.below(2) === 0 });
    },
  },
  {
    name: "cli",
    weight: 3,
    typed: ["UsageError", "BpfError[…]"],
    run(rng) {
      cliDir ??= mkdtempSync(join(tmpdir(), "tsbpf-fuzz-cli-"));
      const file = join(cliDir, "input");
      const useElf = rng.below(2) === 0;
      writeFileSync(file, mutate(useElf ? rng.pick(seeds().objects) : rng.pick(seeds().btfs), rng));
      const argv = ["btf", "dump", "file", file, "format", rng.below(2) ? "c" : "raw"];
      // Grammar mutations: extra, dropped or replaced words.
      for (let k = rng.below(3); k > 0; k--) {
        const at = rng.below(argv.length + 1);
        switch (rng.below(3)) {
          case 0: argv.splice(at, 0, rng.pick(CLI_WORDS)); break;
          case 1: argv.splice(at, 1); break;
          default: argv[Math.min(at, argv.length - 1)] = rng.pick(CLI_WORDS);
        }
      }
      // Never anything but `btf dump file`/help with our own file: no kernel object is created or changed.
      if (argv[0] !== "btf" || (argv[1] !== "dump" && argv[1] !== "help")) return "UsageError";
      if (argv[1] === "dump" && argv[2] !== "file") return "UsageError";
      return runCli(argv);
    },
  },
];

/** Removes what the CLI entry wrote. */
export function cleanupEntries(): string | undefined {
  return cliDir;
}

/** The classes the project counts as typed errors, for the report. */
export const TYPED_CLASSES = [ElfError, BtfError, ObjectError, CoreRelocationError, InvalidInstructionError].map((c) => c.name);
