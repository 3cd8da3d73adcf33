// Opening and walking the running kernel's BTF in-process:
//   btf.parse.vmlinux  parseKernelBtf() against libbpf's btf__parse(vmlinux, NULL)
//   btf.walk.vmlinux   decoding every type of a parsed BTF (its name and its
//                      members' names) against the same walk over libbpf's btf
// The C side is bench/c/btf_parse.c. One "op" is one BTF type.
import { existsSync } from "node:fs";
import { cToolchainProblem, runCHarness } from "./c-harness.js";
import { timeRepetitions, type Benchmark, type BenchGroup, type BenchParams, type Measurement } from "./harness.js";
import type { Btf } from "../src/btf/btf.js";
import { parseKernelBtf } from "../src/btf/discovery.js";

/** The file both sides parse. */
export const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

/** The bound: tsbpf may take at most 1.5× libbpf's time, i.e. ≥ 2/3 of its rate. */
const PARSE_TARGET = 1 / 1.5;

/** Total length of every type's name and every struct/union member's name (the C harness's `walk` check). */
export function walkAllTypes(btf: Btf): number {
  let total = 0;
  for (let id = 1; id <= btf.lastId; id++) {
    const t = btf.typeById(id);
    total += t.name.length;
    if (t.kind === "STRUCT" || t.kind === "UNION") for (const m of t.members) total += m.name.length;
  }
  return total;
}

function measureParse(params: BenchParams): Measurement {
  let types = 0;
  const samplesNs = timeRepetitions(params, () => {
    types = parseKernelBtf().lastId;
  });
  return { ops: types, samplesNs, check: types };
}

function measureWalk(params: BenchParams): Measurement {
  // Each repetition walks a freshly parsed Btf: decoded types are cached per Btf.
  let btf: Btf | undefined;
  let check = 0;
  const samplesNs = timeRepetitions(
    params,
    () => {
      if (btf) check = walkAllTypes(btf);
    },
    { before: () => (btf = parseKernelBtf()) },
  );
  return { ops: btf?.lastId ?? 0, samplesNs, check };
}

function parseBenchmark(mode: "parse" | "walk"): Benchmark {
  return {
    name: `btf.${mode}.vmlinux`,
    unit: "types",
    target: mode === "parse" ? PARSE_TARGET : undefined,
    referenceName: mode === "parse" ? "libbpf btf__parse" : "libbpf btf walk",
    // `ops` is informational here: the work is always the whole vmlinux BTF.
    params: { full: { ops: 1, warmup: 2, reps: 9 }, smoke: { ops: 1, warmup: 0, reps: 1 } },
    tsbpf: (p) => (mode === "parse" ? measureParse(p) : measureWalk(p)),
    reference: (p) => runCHarness("btf_parse", [mode, VMLINUX_BTF, p.warmup, p.reps]),
  };
}

/** In-process parsing and a full walk of the running kernel's BTF, against libbpf. */
export const btfParseGroup: BenchGroup = {
  name: "btf-parse",
  description: "open /sys/kernel/btf/vmlinux and decode every type, against libbpf (btf__parse)",
  benchmarks() {
    if (!existsSync(VMLINUX_BTF)) return `${VMLINUX_BTF} is missing (kernel built without CONFIG_DEBUG_INFO_BTF)`;
    const problem = cToolchainProblem();
    if (problem) return problem;
    return [parseBenchmark("parse"), parseBenchmark("walk")];
  },
};
