// Feature probes on the running kernel, checked against what the kernel
// actually does and against bpftool's own `feature probe`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  probeAll, haveMapType, haveProgramType, haveHelper, probeHelper, probeProgramType, probeMapType, probeMisc,
  probeBpfSyscall, readBpfSysctls, readPrivileges, PROGRAM_TYPE_NAMES, MAP_TYPE_NAMES, HELPER_COUNT, helperCName,
  NOISY_HELPERS, probeUprobeMultiLink, haveUprobeMultiLink,
} from "../../src/features/index.js";
import { probeLoad } from "../../src/features/probe-load.js";
import { encodeProbe, Op } from "../../src/features/probe-insns.js";
import { programProbeSpec } from "../../src/features/program-types.js";
import { FD, InvalidArgumentError, NotSupportedError } from "../../src/index.js";
import { bpfCallCount } from "../../src/sys/syscall.js";
import { openFdCount } from "../util/kernel.js";
import { requireOracle, skipFor } from "../util/environment.js";

interface BpftoolFeatures {
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  helpers: Record<string, string[]>;
  misc: Record<string, boolean>;
  system_config: Record<string, number | string | null>;
}

let bpftoolReport: BpftoolFeatures | undefined;
function bpftoolFeatures(): BpftoolFeatures {
  bpftoolReport ??= JSON.parse(execFileSync("bpftool", ["-j", "feature", "probe"], { encoding: "utf8" })) as BpftoolFeatures;
  return bpftoolReport;
}

test("basic types every BPF kernel has are reported available", () => {
  assert.equal(probeBpfSyscall().supported, true);
  assert.equal(haveProgramType("socket_filter"), true);
  assert.equal(haveProgramType(6 /* xdp */), true);
  assert.equal(haveMapType("hash"), true);
  assert.equal(haveMapType(2 /* array */), true);
});

test("answers are cached: the same object comes back and no fd is left open", () => {
  const fdsBefore = openFdCount();
  const objectsBefore = FD.openCount;
  const first = probeMapType("ringbuf");
  const second = probeMapType(27);
  assert.equal(first, second);
  probeAll({ full: true });
  assert.equal(openFdCount(), fdsBefore, "probing leaked a file descriptor");
  assert.equal(FD.openCount, objectsBefore);
  const callsBefore = bpfCallCount();
  probeAll({ full: true });
  assert.equal(bpfCallCount(), callsBefore, "a cached probeAll must not touch the kernel again");
});

test("unknown type names are InvalidArgumentError, not a guess", () => {
  assert.throws(() => haveMapType("no_such_map"), InvalidArgumentError);
  assert.throws(() => haveProgramType("no_such_prog"), InvalidArgumentError);
  assert.throws(() => haveHelper("socket_filter", 0), InvalidArgumentError);
  assert.throws(() => haveHelper("socket_filter", 1.5), InvalidArgumentError);
});

test("type numbers beyond the kernel's enum are reported unsupported with the errno", () => {
  const r = probeMapType(MAP_TYPE_NAMES.length + 50);
  assert.equal(r.supported, false);
  assert.equal(r.errno, 22);
  const p = probeProgramType(PROGRAM_TYPE_NAMES.length + 50);
  assert.equal(p.supported, false);
});

test("helper probes match what the verifier does with a real call", () => {
  // get_prandom_u32 takes no arguments: a program calling it loads outright.
  assert.equal(haveHelper("socket_filter", 7), true);
  // map_lookup_elem is known everywhere; the probe program passes it bad arguments,
  // which proves the verifier knows the helper.
  assert.equal(haveHelper("socket_filter", 1), true);
  // A helper id the kernel has never heard of.
  assert.equal(haveHelper("socket_filter", 100_000), false);
  // bpf_sys_bpf is only for syscall programs.
  assert.equal(haveHelper("socket_filter", 166), false);
  assert.equal(haveHelper("syscall", 166), true);
  // Cross-check one negative answer with a direct load: the log names the refusal.
  const call = encodeProbe([{ op: Op.CALL, imm: 166 }, { op: Op.EXIT }]);
  const r = probeLoad({ type: 1, insns: call, withLog: true });
  assert.equal(r.loaded, false);
  assert.match(r.log, /cannot use helper|unknown func|invalid func/);
});

test("helpers of program types that cannot be probed raise NotSupportedError", (t) => {
  const unavailable = PROGRAM_TYPE_NAMES.findIndex((_, i) => i > 0 && !haveProgramType(i));
  if (unavailable < 0) return skipFor(t, "kernel has every program type");
  assert.throws(() => probeHelper(unavailable, 1), NotSupportedError);
  // struct_ops needs an attach target for any load, so helper probing is impossible.
  if (haveProgramType("struct_ops")) assert.throws(() => probeHelper("struct_ops", 1), NotSupportedError);
});

test("BTF-attached types are probed through the verifier's message about the fake target", () => {
  const spec = programProbeSpec(27 /* struct_ops */);
  assert.ok(spec.expect, "struct_ops needs an expected refusal");
  const r = probeLoad({ type: 27, insns: encodeProbe([{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.EXIT }]), attachBtfId: 1, withLog: true });
  const known = r.errno === spec.expect.errno && r.log.includes(spec.expect.message);
  assert.equal(haveProgramType("struct_ops"), known);
});

test("misc probes: ISA levels are cumulative", () => {
  const v2 = probeMisc("have_v2_isa_extension").supported;
  const v3 = probeMisc("have_v3_isa_extension").supported;
  const v4 = probeMisc("have_v4_isa_extension").supported;
  if (v4) assert.ok(v3);
  if (v3) assert.ok(v2);
  // log_true_size arrived in 6.4, long after the v3 jumps (5.1).
  if (probeMisc("have_log_true_size").supported) assert.ok(v3);
});

test("system config comes from /proc/sys and capabilities from /proc/self/status", () => {
  const s = readBpfSysctls();
  assert.equal(typeof s.bpf_jit_enable, "number");
  const p = readPrivileges();
  assert.equal(p.euid, process.geteuid?.());
  if (p.euid === 0) assert.equal(p.CAP_SYS_ADMIN, true);
});

test("program and map types agree with bpftool -j feature probe", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const theirs = bpftoolFeatures();
  const ours = probeAll({ helpers: false });
  let compared = 0;
  // bpftool built on libbpf < 1.2 cannot probe BTF-attached types (it loads them without an
  // attach target and reads EINVAL as "unsupported"); where it says no and the kernel proves
  // the type known, ours may say yes. Any other disagreement is a failure.
  const libbpfCannotProbe = new Set(["have_tracing_prog_type", "have_ext_prog_type", "have_lsm_prog_type"]);
  for (const [key, value] of Object.entries(theirs.program_types)) {
    if (!(key in ours.program_types)) continue;
    compared++;
    if (ours.program_types[key] === true && value === false && libbpfCannotProbe.has(key)) continue;
    assert.equal(ours.program_types[key], value, `program type ${key}`);
  }
  for (const [key, value] of Object.entries(theirs.map_types)) {
    if (!(key in ours.map_types)) continue;
    compared++;
    assert.equal(ours.map_types[key], value, `map type ${key}`);
  }
  assert.ok(compared >= 60, `compared only ${compared} types`);
  for (const [key, value] of Object.entries(theirs.misc)) {
    if (key in ours.misc) assert.equal(ours.misc[key as keyof typeof ours.misc], value, `misc ${key}`);
  }
  for (const [key, value] of Object.entries(theirs.system_config)) {
    assert.equal(ours.system_config?.[key], value, `system_config ${key}`);
  }
});

test("helpers: every helper we report is one bpftool reports, and every extra bpftool claim is refused by the verifier", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const theirs = bpftoolFeatures();
  const ours = probeAll({ helpers: true });
  const idByName = new Map(Array.from({ length: HELPER_COUNT }, (_, i) => [helperCName(i), i]));
  // bpftool only probes the helpers its own (older) uapi header lists.
  const bpftoolKnows = new Set(Object.values(theirs.helpers).flat());
  let checkedExtras = 0;
  for (const [key, theirList] of Object.entries(theirs.helpers)) {
    const ourList = ours.helpers?.[key];
    if (!ourList || theirList.length === 0) continue;
    const theirSet = new Set(theirList);
    for (const h of ourList) {
      if (bpftoolKnows.has(h)) assert.ok(theirSet.has(h), `${key}: we report ${h}, bpftool does not`);
    }
    // bpftool's libbpf only knows the older "unknown func" wording; the newer
    // "program of this type cannot use helper" it counts as available.
    const progType = PROGRAM_TYPE_NAMES.indexOf(key.replace(/_available_helpers$/, ""));
    const ourSet = new Set(ourList);
    for (const h of theirList) {
      const id = idByName.get(h);
      if (ourSet.has(h) || id === undefined || NOISY_HELPERS.includes(id)) continue;
      const r = probeLoad({ type: progType, insns: encodeProbe([{ op: Op.CALL, imm: id }, { op: Op.EXIT }]), withLog: true,
        expectedAttachType: programProbeSpec(progType).expectedAttachType, progFlags: programProbeSpec(progType).progFlags });
      assert.match(r.log, /cannot use helper|unknown func|invalid func/, `${key}: ${h}`);
      checkedExtras++;
    }
  }
  t.diagnostic(`verified ${checkedExtras} helper answers where bpftool ${"v7.1"} over-reports`);
});

test("uprobe_multi links: the probe agrees with the kernel's symbols, is cached, and leaves no fd open", () => {
  const fds = openFdCount();
  const first = probeUprobeMultiLink();
  assert.equal(openFdCount(), fds, "the probe closed its program");
  assert.equal(probeUprobeMultiLink(), first, "cached: the same answer object");
  // The kernel's link-create handler for them (Linux 6.6) is the oracle.
  const kernelHas = / bpf_uprobe_multi_link_attach$/m.test(readFileSync("/proc/kallsyms", "latin1"));
  // A first-release (6.6) kernel has the links but filters pids by thread: the probe says no, and why.
  if (kernelHas && !first.supported) assert.match(first.reason, /filter by thread/);
  else assert.equal(first.supported, kernelHas, first.reason);
  assert.equal(haveUprobeMultiLink(), first.supported);
});
