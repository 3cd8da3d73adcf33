// Every program of the project's fixtures and examples that BPF_PROG_TEST_RUN
// can run on a packet (XDP, tc, socket filter, cgroup skb) runs on the
// packet corpus in the kernel, the interpreter and the JIT: the same return
// values, output packets and contexts, and the same map contents after.
// CO-RE relocates against this kernel's BTF in both. An object whose
// programs the kernel refuses to load is reported, not compared (it cannot
// be test-run); one the kernel loads must load in the machine too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { kernelBtf } from "../../src/btf/discovery.js";
import { kallsymsAddresses } from "../../src/collection/ksyms.js";
import { readKernelConfig } from "../../src/features/system.js";
import { linuxVersionCode } from "../../src/features/probe-load.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { ProgramType } from "../../src/program/types.js";
import { NotSupportedError } from "../../src/sys/errors.js";
import { compareObject, KernelRefusedError, PACKET_TYPES, type RunInput } from "./object-differential.js";
import { PACKETS } from "./packet-corpus.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function objects(): string[] {
  const out: string[] = [];
  for (const top of ["test/fixtures", "examples"]) {
    for (const dir of readdirSync(path.join(ROOT, top))) {
      const full = path.join(ROOT, top, dir);
      if (!existsSync(full)) continue;
      try {
        for (const f of readdirSync(full)) if (f.endsWith(".o")) out.push(path.join(full, f));
      } catch {
        // A file, not a directory.
      }
    }
  }
  return out.sort();
}

function inputs(_name: string, type: ProgramType): RunInput[] {
  const list: RunInput[] = PACKETS.map((p) => ({ name: p.name, options: { data: p.bytes } }));
  if (type !== ProgramType.XDP) {
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(8, 0x77, true); // mark
    list.push({ name: "ipv4-udp-53+ctx", options: { data: (PACKETS[0] as { bytes: Uint8Array }).bytes, ctx } });
  }
  return list;
}

/**
 * Value bytes that differ by nature, by object file and map. typed.bpf.c
 * stores `struct point { s32 x; s16 y; }` built on the stack, whose two bytes
 * of tail padding are whatever the stack held (the machine's stack starts
 * zeroed; the kernel's does not); and `per_cpu.last` is the CPU the program
 * ran on plus 100 (the kernel's test run uses whichever CPU the thread is on).
 */
const VARYING_BYTES: Readonly<Record<string, Readonly<Record<string, readonly [number, number]>>>> = {
  "typed.bpf.o": { recent: [6, 8], per_cpu: [8, 12] },
  "typed.bpf.eb.o": { recent: [6, 8], per_cpu: [8, 12] },
};

test("fixture and example programs that run under BPF_PROG_TEST_RUN give the kernel's results in the interpreter and the JIT", () => {
  const btf = kernelBtf();
  // The machine gets the running kernel's config and version, as the kernel loader fills .kconfig from them.
  const kconfig = { ...Object.fromEntries(readKernelConfig() ?? []), LINUX_KERNEL_VERSION: linuxVersionCode() };
  const refused: string[] = [];
  const notEmulated: string[] = [];
  const differences: string[] = [];
  let programs = 0;
  let runs = 0;
  for (const file of objects()) {
    let names: string[];
    try {
      names = [...loadObjectSpec(file).programs.values()].filter((p) => PACKET_TYPES.has(p.type)).map((p) => p.name);
    } catch {
      continue; // Objects the parser refuses on purpose (malformed fixtures) have nothing to run.
    }
    if (names.length === 0) continue;
    // Untyped ksyms get their kallsyms addresses, as the kernel loader gives them.
    const ksymNames = new Set([...loadObjectSpec(file).externs.values()].filter((e) => e.kind === "ksym" && e.typeId === undefined).map((e) => e.name));
    const ksyms = Object.fromEntries(kallsymsAddresses(ksymNames));
    let results;
    try {
      results = compareObject(() => loadObjectSpec(file), names, inputs, { btf, btfName: "vmlinux", kconfig, ksyms }, undefined, VARYING_BYTES[path.basename(file)]);
    } catch (e) {
      if (e instanceof KernelRefusedError) refused.push(`${path.relative(ROOT, file)}: ${e.message}`);
      else if (e instanceof NotSupportedError) notEmulated.push(`${path.relative(ROOT, file)}: ${e.message}`);
      else throw e;
      continue;
    }
    for (const r of results) {
      programs += r.runs > 0 ? 1 : 0;
      runs += r.runs;
      differences.push(...r.differences.map((d) => `${path.relative(ROOT, file)}: ${d}`));
    }
  }
  // One line per program that differs (its first difference), so a regression reads at a glance.
  const firstPerProgram = [...new Map(differences.map((d) => [d.split(" on ")[0], d])).values()];
  assert.deepEqual(firstPerProgram, []);
  assert.ok(programs >= 50, `compared ${programs} programs (${runs} runs); refused by the kernel: ${refused.join("; ")}`);
  console.log(`# compared ${programs} programs on ${runs} inputs in the kernel, the interpreter and the JIT`);
  console.log(`# objects the kernel refused (not test-runnable): ${refused.length}`);
  console.log(`# objects with a map type the machine does not emulate: ${notEmulated.length}${notEmulated.map((n) => `\n#   ${n}`).join("")}`);
  // The machine emulates every map type of the fixtures except sockmap-like ones.
  assert.ok(notEmulated.every((n) => /sockmap|sockhash|devmap|cpumap|xskmap/.test(n)), notEmulated.join("\n"));
});
