// A tiny C program built at test time for the uprobe tests: it calls
// tsbpf_target(i) for i in [0, N) when it reads "N" on stdin and prints the
// sum of the results; "s" prints its USDT-style semaphore. objdump (from the
// same binutils as cc) is the oracle for file offsets.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

const mainSource = `
#include <stdio.h>
#include <stdlib.h>
__attribute__((section(".probes"), used)) volatile unsigned short tsbpf_sema = 0;
int tsbpf_data = 3;
__attribute__((noinline, noclone)) int tsbpf_target(int x) { __asm__ volatile("" ::: "memory"); return 2 * x + 1; }
static int impl(int x) { return x; }
static int (*resolve_ifunc(void))(int) { return impl; }
int tsbpf_ifunc(int) __attribute__((ifunc("resolve_ifunc")));
int dup_a(int x);
static __attribute__((noinline, noclone)) int tsbpf_dup(int x) { __asm__ volatile("" ::: "memory"); return x + 3; }
int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    if (line[0] == 's') { printf("%u\\n", (unsigned)tsbpf_sema); continue; }
    int n = atoi(line), sum = 0;
    for (int i = 0; i < n; i++) sum += tsbpf_target(i);
    printf("%d\\n", sum + 0 * (tsbpf_dup(n) + dup_a(n) + tsbpf_ifunc(n) + tsbpf_data));
  }
  return 0;
}
`;
// A second local tsbpf_dup, so the name is ambiguous in .symtab.
const dupSource = `
static __attribute__((noinline, noclone)) int tsbpf_dup(int x) { __asm__ volatile("" ::: "memory"); return x + 5; }
int dup_a(int x) { return tsbpf_dup(x); }
`;

export interface TargetBinary {
  readonly path: string;
  readonly dir: string;
  remove(): void;
}

/** Compiles the target (non-PIE, so code vaddrs and file offsets differ); undefined when there is no cc. */
export function buildTarget(): TargetBinary | undefined {
  if (spawnSync("cc", ["--version"]).status !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-uprobe-"));
  writeFileSync(path.join(dir, "main.c"), mainSource);
  writeFileSync(path.join(dir, "dup.c"), dupSource);
  const out = path.join(dir, "tsbpf_uprobe_target");
  const r = spawnSync("cc", ["-O2", "-no-pie", "-o", out, path.join(dir, "main.c"), path.join(dir, "dup.c")], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cc failed: ${r.stderr}`);
  }
  return { path: out, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** objdump's view of a function: its file offset and the offsets (from its start) of its ret instructions. */
export function objdumpFunction(binary: string, name: string): { fileOffset: number; retOffsets: number[] } {
  const r = spawnSync("objdump", ["-d", "-F", "--no-show-raw-insn", binary], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`objdump: ${r.stderr}`);
  const lines = r.stdout.split("\n");
  const head = lines.findIndex((l) => /^[0-9a-f]+ </.test(l) && l.includes(`<${name}> (File Offset:`));
  if (head < 0) throw new Error(`objdump shows no ${name}`);
  const m = /^([0-9a-f]+) <.*\(File Offset: 0x([0-9a-f]+)\)/.exec(lines[head]!)!;
  const start = parseInt(m[1]!, 16);
  const retOffsets: number[] = [];
  for (const l of lines.slice(head + 1)) {
    const insn = /^\s+([0-9a-f]+):\s+(\S+)/.exec(l);
    if (!insn) break;
    if (/^ret/.test(insn[2]!)) retOffsets.push(parseInt(insn[1]!, 16) - start);
  }
  return { fileOffset: parseInt(m[2]!, 16), retOffsets };
}

/**
 * A running copy of a target driven line by line: "N" answers one number
 * (here the sum of N calls; test/fixtures/usdt/usdt-target.c fires its
 * probes and answers its semaphore), "s" answers the semaphore.
 */
export class TargetProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.#lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  get pid(): number {
    return this.child.pid!;
  }

  async #ask(line: string): Promise<string> {
    this.child.stdin.write(`${line}\n`);
    const r = await this.#lines.next();
    if (r.done) throw new Error("target exited");
    return r.value;
  }

  /** Calls tsbpf_target n times; returns the sum of its results. */
  async call(n: number): Promise<number> {
    return Number(await this.#ask(String(n)));
  }

  /** The semaphore the kernel bumps for a uprobe with refCtrOffset. */
  async semaphore(): Promise<number> {
    return Number(await this.#ask("s"));
  }

  /** Ends the process (stdin EOF) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await exited;
  }
}
