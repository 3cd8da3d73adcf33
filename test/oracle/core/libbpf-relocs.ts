// Runs the libbpf CO-RE oracle (relocs.c) and compares its relocated
// programs with tsbpf's: the same object's sections patched by
// applyCoreFixups, instruction by instruction, masking only what libbpf
// fills in from kernel objects (map/BTF ids in ld_imm64, call targets).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../../../src/elf/reader.js";
import { btfFromElf } from "../../../src/btf/elf.js";
import type { Btf } from "../../../src/btf/btf.js";
import { applyCoreFixups, resolveCoreRelocations, type CoreFixup } from "../../../src/core/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** relocs.c lives in the source tree; tests run from dist/. */
const SOURCE = path.resolve(here, "../../../../test/oracle/core/relocs.c");

/** One program as libbpf would load it. */
export interface LibbpfProgram {
  readonly name: string;
  readonly section: string;
  readonly insns: Uint8Array;
}

/**
 * libbpf's verdict on an object: the programs it relocated. When loading
 * the whole object failed (e.g. an attach target this kernel lacks),
 * `error`/`errno` say why and `programs` holds those that could be loaded
 * one at a time.
 */
export interface LibbpfResult {
  readonly programs: LibbpfProgram[];
  readonly error?: string;
  readonly errno?: number;
}

let harness: string | undefined | null = null;

/** Builds the harness once (undefined when no C compiler or libbpf-dev). */
export function libbpfHarness(): string | undefined {
  if (harness !== null) return harness;
  harness = undefined;
  if (!existsSync("/usr/include/bpf/libbpf.h") || !existsSync(SOURCE)) return harness;
  const dir = path.join(tmpdir(), `tsbpf-core-oracle-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, "relocs");
  try {
    execFileSync("cc", ["-O1", "-o", out, SOURCE, "-lbpf", "-ldl", "-Wl,--export-dynamic"], { stdio: "pipe" });
    harness = out;
  } catch {
    harness = undefined;
  }
  return harness;
}

/** Relocates `object` against `targetBtfPath` with libbpf. */
export function runLibbpf(harnessPath: string, object: string, targetBtfPath: string): LibbpfResult {
  const json = execFileSync(harnessPath, [object, targetBtfPath], { env: { ...process.env, RELOCS_QUIET: "1" }, maxBuffer: 256 << 20 }).toString();
  const parsed = JSON.parse(json) as { programs?: { name: string; section: string; insns: string }[]; error?: string; errno?: number };
  const programs = (parsed.programs ?? []).map((p) => ({ name: p.name, section: p.section, insns: Buffer.from(p.insns, "hex") }));
  return parsed.error === undefined ? { programs } : { programs, error: parsed.error, errno: parsed.errno ?? 0 };
}

/** tsbpf's relocation of one object: patched code per section, function symbols, or the error. */
export interface TsbpfResult {
  readonly sections: Map<string, Uint8Array>;
  readonly functions: { name: string; section: string; offset: number; size: number }[];
  readonly fixups: CoreFixup[];
  readonly error?: Error;
}

/**
 * Relocates an object's executable sections with tsbpf. `sections` limits
 * relocation to the sections of programs libbpf loaded (plus .text, where
 * subprograms live), since libbpf skips records of programs it does not load.
 */
export function relocateWithTsbpf(bytes: Uint8Array, target: Btf, targetName = "vmlinux", sections?: ReadonlySet<string>): TsbpfResult {
  const elf = new ElfFile(bytes);
  const { btf, ext } = btfFromElf(elf);
  const code = new Map<string, Uint8Array>();
  const functions: TsbpfResult["functions"] = [];
  for (const s of elf.sections) if ((s.flags & 0x4) !== 0) code.set(s.name, elf.data(s).slice());
  for (const sym of elf.symbols()) {
    if (sym.type !== "func" || sym.sectionIndex === 0 || sym.sectionIndex >= elf.sections.length) continue;
    const section = elf.sections[sym.sectionIndex]?.name ?? "";
    if (code.has(section)) functions.push({ name: sym.name, section, offset: Number(sym.value), size: Number(sym.size) });
  }
  if (!btf || !ext) return { sections: code, functions, fixups: [] };
  let fixups: CoreFixup[];
  const include = (name: string): boolean => !sections || sections.has(name) || name === ".text";
  try {
    fixups = resolveCoreRelocations(btf, ext, { vmlinux: target, vmlinuxName: targetName }, { include });
    for (const [name, bytes] of code) applyCoreFixups(bytes, fixups.filter((f) => f.section === name));
  } catch (e) {
    return { sections: code, functions, fixups: [], error: e as Error };
  }
  return { sections: code, functions, fixups };
}

/** True when slot `i` of libbpf's output matches `mine` at slot `j` (masking kernel-object values). */
function slotMatches(theirs: Uint8Array, i: number, mine: Uint8Array, j: number): number {
  const a = i * 8;
  const b = j * 8;
  if (b + 8 > mine.length) return 0;
  const opcode = theirs[a] as number;
  const src = (theirs[a + 1] as number) >> 4;
  if (opcode === 0x18 && src !== 0) {
    // ld_imm64 to a map / map value / ksym / subprogram: the value comes from the loader.
    return mine[b] === 0x18 && ((mine[b + 1] as number) & 0x0f) === ((theirs[a + 1] as number) & 0x0f) ? 2 : 0;
  }
  if (opcode === 0x85 && src !== 0) {
    // bpf-to-bpf or kfunc call: the target is fixed up by linking.
    return mine[b] === 0x85 ? 1 : 0;
  }
  for (let k = 0; k < 8; k++) if (theirs[a + k] !== mine[b + k]) return 0;
  if (opcode === 0x18) {
    for (let k = 8; k < 16; k++) if (theirs[a + k] !== mine[b + k]) return 0;
    return 2;
  }
  return 1;
}

/** Slots of `mine` matched from libbpf slot `at`; -1 with the first differing slot when not all match. */
function matchRun(theirs: Uint8Array, at: number, mine: Uint8Array): { ok: boolean; slot: number } {
  const n = mine.length / 8;
  let j = 0;
  while (j < n) {
    if (at + j >= theirs.length / 8) return { ok: false, slot: at + j };
    const step = slotMatches(theirs, at + j, mine, j);
    if (step === 0) return { ok: false, slot: at + j };
    j += step;
  }
  return { ok: true, slot: at + n };
}

/** Comparison of one program: equal, or where it first differs. */
export interface ProgramComparison {
  readonly name: string;
  readonly equal: boolean;
  readonly detail?: string;
}

/** Compares libbpf's program with tsbpf's patched code: the program's own code, then its appended subprograms. */
export function compareProgram(theirs: LibbpfProgram, mine: TsbpfResult): ProgramComparison {
  const fn = mine.functions.find((f) => f.name === theirs.name && f.section === theirs.section);
  const code = mine.sections.get(theirs.section);
  if (!fn || !code) return { name: theirs.name, equal: false, detail: "program function not found in the object" };
  const own = code.subarray(fn.offset, fn.offset + fn.size);
  const head = matchRun(theirs.insns, 0, own);
  if (!head.ok) return { name: theirs.name, equal: false, detail: `own code differs at insn #${head.slot}` };
  // libbpf appends called subprograms after the program; each must be one of the object's functions.
  const subprogs = mine.functions.filter((f) => !(f.name === theirs.name && f.section === theirs.section));
  let at = head.slot;
  const total = theirs.insns.length / 8;
  while (at < total) {
    let next = -1;
    for (const f of subprogs) {
      const sec = mine.sections.get(f.section);
      if (!sec || f.size === 0) continue;
      const run = matchRun(theirs.insns, at, sec.subarray(f.offset, f.offset + f.size));
      if (run.ok) {
        next = run.slot;
        break;
      }
    }
    if (next < 0) return { name: theirs.name, equal: false, detail: `appended subprogram code at insn #${at} matches none of the object's functions` };
    at = next;
  }
  return { name: theirs.name, equal: true };
}
