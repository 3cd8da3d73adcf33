// The skip policy itself (test/util/environment.ts): a listed fact skips, a
// fact this machine visibly lacks fails under CI=true, a missing oracle fails
// under CI=true and skips elsewhere; and one test prints this machine's facts
// and oracles so CI output shows what could be skipped here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { release } from "node:os";
import {
  ENVIRONMENT_PREFIX, ORACLE_PREFIX, factsOfThisMachine, missingOracle, oraclesOfThisMachine, requireOracle, skipFor, type Skippable,
} from "../util/environment.js";

/** A stand-in test context that records what it was told to skip. */
function recorder(): Skippable & { skipped: string[] } {
  const skipped: string[] = [];
  return { skipped, skip: (message?: string) => void skipped.push(message ?? "") };
}

/** Runs `body` with CI set to `value` (or unset), restoring it afterwards. */
function withCi<T>(value: string | undefined, body: () => T): T {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

test("a listed fact skips with its meaning and the detail, in and out of CI", () => {
  for (const ci of [undefined, "true"]) {
    const t = recorder();
    withCi(ci, () => skipFor(t, "arena maps refused", "BPF_MAP_CREATE: EPERM"));
    assert.equal(t.skipped.length, 1);
    assert.match(t.skipped[0]!, /^\[environment: arena maps refused\] .*EPERM.*: BPF_MAP_CREATE: EPERM$/);
  }
});

test("under CI=true a fact the machine visibly lacks fails; outside CI it skips and says a CI run would fail", () => {
  // Pick a refutable claim that is false here: BTF in sysfs, or root.
  const claim = existsSync("/sys/kernel/btf/vmlinux") ? "no vmlinux BTF" : process.getuid?.() === 0 ? "not root" : undefined;
  assert.ok(claim, "this machine refutes neither 'no vmlinux BTF' nor 'not root'");
  const t = recorder();
  assert.throws(() => withCi("true", () => skipFor(t, claim)), /refused under CI/);
  assert.deepEqual(t.skipped, []);
  withCi(undefined, () => skipFor(t, claim));
  assert.match(t.skipped[0]!, /a CI run would fail/);
});

test("'kernel older than' is refuted by a kernel at least that version", () => {
  const t = recorder();
  assert.throws(() => withCi("true", () => skipFor(t, "kernel older than", { linux: "3.0", feature: "anything" })), /is at least 3\.0/);
  withCi("true", () => skipFor(t, "kernel older than", { linux: "99.1", feature: "a future map type" }));
  assert.match(t.skipped[0]!, new RegExp(`^\\[environment: kernel older than\\] a future map type needs Linux 99\\.1\\+ \\(running ${release().replace(/[.+]/g, "\\$&")}\\)$`));
});

test("'kernel lacks a BTF type' is refuted by the running kernel's BTF", (t) => {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return skipFor(t, "no vmlinux BTF");
  const r = recorder();
  assert.throws(() => withCi("true", () => skipFor(r, "kernel lacks a BTF type", "task_struct")), /has task_struct/);
  withCi("true", () => skipFor(r, "kernel lacks a BTF type", "no_such_type_in_any_kernel"));
  assert.equal(r.skipped.length, 1);
});

test("a missing oracle fails under CI=true and skips outside CI", () => {
  const inCi = recorder();
  assert.throws(() => withCi("true", () => missingOracle(inCi, "bpftool", "not on PATH")), /oracle is missing under CI: bpftool .*not on PATH/);
  assert.throws(() => withCi("1", () => missingOracle(inCi, "libbpf-tools")), /oracle is missing under CI/);
  assert.deepEqual(inCi.skipped, []);
  const outside = recorder();
  withCi(undefined, () => missingOracle(outside, "bpftool"));
  withCi("false", () => missingOracle(outside, "readelf"));
  assert.equal(outside.skipped.length, 2);
  assert.ok(outside.skipped.every((s) => s.startsWith(ORACLE_PREFIX)));
});

test("requireOracle: true for an installed tool, without skipping", () => {
  const installed = oraclesOfThisMachine().find((o) => o.present && o.oracle !== "bench references");
  assert.ok(installed, "at least one oracle is installed");
  const t = recorder();
  assert.equal(withCi("true", () => requireOracle(t, installed.oracle)), true);
  assert.deepEqual(t.skipped, []);
});

test("this machine: environment facts and oracles (what skips are possible here)", (t) => {
  const facts = factsOfThisMachine();
  assert.ok(facts.length >= 10);
  for (const { fact, standing } of facts) {
    const state = standing.state === "refuted" ? `cannot cause a skip here: ${standing.evidence}`
      : standing.state === "possible" ? "may cause skips here (nothing refutes it)" : standing.state;
    t.diagnostic(`${ENVIRONMENT_PREFIX}${fact}] ${state}`);
  }
  for (const o of oraclesOfThisMachine()) t.diagnostic(`oracle ${o.oracle}: ${o.present ? "installed" : `MISSING (${o.install})`}`);
});
