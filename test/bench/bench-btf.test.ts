// The BTF benchmark groups measure what they claim: the tsbpf and libbpf
// walks see the same names, the dump commands print bpftool's exact bytes,
// and peak RSS is read from GNU time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { btfDumpGroup, dumpBenchProblem, tsbpfDumpCommand, timeCommandToFile, BPFTOOL, dumpArgs } from "../../bench/btf-dump.js";
import { btfParseGroup, VMLINUX_BTF, walkAllTypes } from "../../bench/btf-parse.js";
import { peakRssKiB } from "../../bench/btf-rss.js";
import { cToolchainProblem, runCHarness } from "../../bench/c-harness.js";
import { timeCommand } from "../../bench/external.js";
import { parseKernelBtf } from "../../src/btf/discovery.js";
import { requireOracle, skipForBenchProblem } from "../util/environment.js";

const once = { ops: 1, warmup: 0, reps: 1 };

test("btf walk: tsbpf and libbpf see the same type and member names", (t) => {
  const problem = existsSync(VMLINUX_BTF) ? cToolchainProblem() : `${VMLINUX_BTF} is missing`;
  if (problem) return skipForBenchProblem(t, problem);
  const btf = parseKernelBtf();
  const c = runCHarness("btf_parse", ["walk", VMLINUX_BTF, 0, 1]);
  assert.equal(c.ops, btf.lastId);
  assert.equal(walkAllTypes(btf), c.check);
  const parse = runCHarness("btf_parse", ["parse", VMLINUX_BTF, 0, 1]);
  assert.equal(parse.check, btf.lastId);
  assert.ok(parse.samplesNs[0] > 0);
});

test("btf groups are registered with a name per benchmark", () => {
  for (const group of [btfParseGroup, btfDumpGroup]) {
    const built = group.benchmarks();
    if (typeof built === "string") continue;
    assert.ok(built.every((b) => b.name.startsWith("btf.")));
  }
});

test("btf dump: tsbpf prints bpftool's bytes in both formats", (t) => {
  const problem = dumpBenchProblem();
  if (problem) return skipForBenchProblem(t, problem);
  for (const format of ["c", "raw"] as const) {
    const [node, args] = tsbpfDumpCommand(format);
    const ours = timeCommand(node, args, once);
    const theirs = timeCommand(BPFTOOL, dumpArgs(format), once);
    assert.equal(ours.check, theirs.check, `format ${format}: same output hash`);
    // The file-redirecting timer hashes the same bytes as the pipe.
    assert.equal(timeCommandToFile(node, args, once).check, ours.check);
  }
});

test("peak RSS is read from GNU time", (t) => {
  if (!requireOracle(t, "GNU time")) return;
  const kib = peakRssKiB(process.execPath, ["-e", "0"]);
  // A Node.js process maps at least a few MiB and far less than a GiB.
  assert.ok(kib > 4096 && kib < 1 << 20, `node -e 0 peak RSS ${kib} KiB`);
});
