// The test suite's skip policy, in one place.
//
// A test may skip only because the machine it runs on lacks something the
// test needs, and only for one of the ENVIRONMENT FACTS listed below (the
// kernel has no kprobes, BPF trampolines are refused, …). Every skip goes
// through skipFor(t, fact, detail): the fact is a typed name, so a reason
// that is not on the list does not compile, and the lint config forbids
// calling t.skip() or passing { skip } anywhere else in test/.
//
// A missing ORACLE (a tool nobody here wrote whose output the tests compare
// against: bpftool, libbpf, clang, the libbpf-tools corpus, readelf …) is not
// an environment fact: under CI=true missingOracle()/requireOracle() fail the
// test, and only outside CI do they skip, so a developer without bpftool can
// still run the rest.
//
// Under CI=true, skipping for a fact the running machine visibly does not have
// (e.g. "no vmlinux BTF" while /sys/kernel/btf/vmlinux exists) also fails:
// each fact that can be checked cheaply says how to refute it.
//
// Skip messages start with "[environment: <fact>]" or "[oracle missing:
// <tool>]"; test/util/skip-summary-reporter.ts groups them at the end of a run
// so CI output shows which facts caused skips.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { gunzipSync } from "node:zlib";
import { Btf } from "../../src/btf/btf.js";
import { cachedKernelBtfs } from "./kernel-btf-corpus.js";

/** Prefixes the summary reporter recognises. */
export const ENVIRONMENT_PREFIX = "[environment: ";
export const ORACLE_PREFIX = "[oracle missing: ";

const VMLINUX = "/sys/kernel/btf/vmlinux";

interface FactDefinition {
  /** What the fact means, printed with every skip it causes. */
  readonly meaning: string;
  /** Evidence that the running machine does NOT have the fact, or undefined when it may have it. */
  readonly refute?: () => string | undefined;
  /** The same for a fact about one named thing (the skip's detail). */
  readonly refuteNamed?: (name: string) => string | undefined;
}

/** The environment facts a test may skip for (and nothing else). */
const FACTS = {
  "no kprobes": {
    meaning: "the kernel has no kprobes (CONFIG_KPROBES is off)",
    refute: () => existsSync("/sys/bus/event_source/devices/kprobe") ? "the kprobe PMU exists (/sys/bus/event_source/devices/kprobe)" : undefined,
  },
  "no uprobes": {
    meaning: "the kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS is off)",
    refute: () => existsSync("/sys/bus/event_source/devices/uprobe") ? "the uprobe PMU exists (/sys/bus/event_source/devices/uprobe)" : undefined,
  },
  "BPF trampolines refused": {
    // Observed by the caller: the load failed with EPERM before verification.
    meaning: "the kernel refuses BPF trampolines (fentry/fexit/fmod_ret/freplace/lsm) with EPERM, even to root",
  },
  "map element iterators refused": {
    // Observed by the caller: the load of an iter/bpf_map_elem program failed with EPERM (libbpf's too).
    meaning: "the kernel refuses bpf_map_elem / bpf_sk_storage_map iterator programs with EPERM at load, even to root",
  },
  "arena maps refused": {
    meaning: "the kernel refuses BPF arena maps with EPERM",
  },
  "no module BTF": {
    meaning: "no kernel module exposes BTF in /sys/kernel/btf (no modules, or all built in)",
    refute: () => {
      const modules = existsSync("/sys/kernel/btf") ? readdirSync("/sys/kernel/btf").filter((n) => n !== "vmlinux") : [];
      return modules.length > 0 ? `modules with BTF exist: ${modules.slice(0, 3).join(", ")}` : undefined;
    },
  },
  "no vmlinux BTF": {
    meaning: "the kernel has no BTF in sysfs (CONFIG_DEBUG_INFO_BTF is off)",
    refute: () => existsSync(VMLINUX) ? `${VMLINUX} exists` : undefined,
  },
  "kernel lacks a BTF type": {
    // The detail is the type or function name the test needs.
    meaning: "the running kernel's BTF has no type or function of this name (configuration or version)",
    refuteNamed: (name) => existsSync(VMLINUX) && new Btf(readFileSync(VMLINUX)).typesByName(name).length > 0 ? `${VMLINUX} has ${name}` : undefined,
  },
  "kernel has every program type": {
    meaning: "every program type is available, so there is no unavailable one to test against",
  },
  "kernel newer than generated tables": {
    meaning: "the running kernel knows more than the repository's generated tables (regenerate them)",
  },
  "not root": {
    meaning: "the tests are not running as root (no CAP_BPF / CAP_SYS_ADMIN)",
    refute: () => process.getuid?.() === 0 ? "running as root (uid 0)" : undefined,
  },
  "no cgroup v2": {
    meaning: "there is no cgroup v2 hierarchy mounted",
    refute: () => {
      const mount = readFileSync("/proc/mounts", "utf8").split("\n").find((l) => l.split(" ")[2] === "cgroup2");
      return mount ? `cgroup2 is mounted at ${mount.split(" ")[1]}` : undefined;
    },
  },
  "no BPF LSM": {
    meaning: "the BPF LSM is not enabled (boot with lsm=...,bpf)",
    refute: () => {
      const lsm = "/sys/kernel/security/lsm";
      return existsSync(lsm) && readFileSync(lsm, "utf8").split(",").includes("bpf") ? `${lsm} lists bpf` : undefined;
    },
  },
  "no glibc": {
    meaning: "this process does not map glibc's libc.so.6 (the uprobe target)",
    refute: () => /\/libc\.so\.6$/m.test(readFileSync("/proc/self/maps", "utf8")) ? "/proc/self/maps has libc.so.6" : undefined,
  },
  "no netkit": {
    meaning: "the kernel has no netkit devices (CONFIG_NETKIT is off)",
    refute: () => kernelHasNetkit() ? "the kernel has netkit (CONFIG_NETKIT in /proc/config.gz, or netkit_link_attach in /proc/kallsyms)" : undefined,
  },
  "unsupported architecture": {
    meaning: `the test has no reference data for this architecture (${process.arch})`,
  },
} satisfies Record<string, FactDefinition>;

/** True when the running kernel was built with netkit (its config, else its symbols, say so). */
export function kernelHasNetkit(): boolean {
  if (existsSync("/proc/config.gz")) return /^CONFIG_NETKIT=[ym]$/m.test(gunzipSync(readFileSync("/proc/config.gz")).toString("latin1"));
  return existsSync("/proc/kallsyms") && / netkit_link_attach$/m.test(readFileSync("/proc/kallsyms", "latin1"));
}

/** A fact that depends on the kernel version; refuted when the running kernel is at least that version. */
const KERNEL_OLDER_THAN = "kernel older than";

/** Names of the environment facts a test may skip for. */
export type EnvironmentFact = keyof typeof FACTS | typeof KERNEL_OLDER_THAN;

/** What a "kernel older than" skip needs: the first Linux version with the feature. */
export interface KernelFeature {
  /** "6.19": the first release that has the feature. */
  readonly linux: string;
  /** The feature, e.g. "insn_array maps". */
  readonly feature: string;
  /** What the kernel said, if anything. */
  readonly detail?: string;
}

/** The third argument of skipFor: a KernelFeature for "kernel older than", else an optional detail. */
export type FactDetail<F extends EnvironmentFact> = F extends typeof KERNEL_OLDER_THAN ? [KernelFeature] : [detail?: string];

/** Names of the oracles and tools the tests compare against or run. */
export type Oracle = "bpftool" | "libbpf-dev" | "libbpf-tools" | "clang-19" | "llvm-mc-19" | "readelf" | "objdump" | "cc" | "iproute2"
  | "unshare" | "GNU time" | "uapi headers" | "other kernels' BTF" | "bench references" | "systemtap-sdt-dev" | "python3 with USDT"
  | "man-db" | "jq";

/** The oracles and tools tests need, and how to tell they are installed. Missing ones fail under CI=true. */
const ORACLES: Record<Oracle, { readonly install: string; present(): boolean }> = {
  "bpftool": { install: "Debian package bpftool", present: () => runs("bpftool", ["version"]) },
  "libbpf-dev": { install: "Debian package libbpf-dev (and a C compiler)", present: () => existsSync("/usr/include/bpf/libbpf.h") && runs("cc", ["--version"]) },
  "libbpf-tools": { install: "Debian package libbpf-tools", present: () => existsSync("/usr/sbin/opensnoop") },
  "clang-19": { install: "Debian package clang-19", present: () => runs("clang-19", ["--version"]) },
  "llvm-mc-19": { install: "Debian package llvm-19", present: () => runs("llvm-mc-19", ["--version"]) },
  "readelf": { install: "Debian package binutils", present: () => runs("readelf", ["--version"]) },
  "objdump": { install: "Debian package binutils", present: () => runs("objdump", ["--version"]) },
  "cc": { install: "Debian package gcc or clang", present: () => runs("cc", ["--version"]) },
  "iproute2": { install: "Debian package iproute2", present: () => runs("ip", ["-V"]) },
  "unshare": { install: "Debian package util-linux", present: () => runs("unshare", ["--version"]) },
  "man-db": { install: "Debian packages man-db and groff-base (man -l renders the man pages)", present: () => runs("man", ["--version"]) },
  "jq": { install: "Debian package jq (a CLI help example pipes into it)", present: () => runs("jq", ["--version"]) },
  "GNU time": { install: "Debian package time", present: () => existsSync("/usr/bin/time") },
  "uapi headers": { install: "Debian package linux-libc-dev", present: () => existsSync("/usr/include/linux/bpf.h") },
  "systemtap-sdt-dev": { install: "Debian package systemtap-sdt-dev (<sys/sdt.h>)", present: () => runs("cc", ["-E", "-include", "sys/sdt.h", "-x", "c", "/dev/null"]) },
  "python3 with USDT": { install: "Debian package python3.11 (built with --with-dtrace: python:function__entry)", present: () => existsSync("/usr/bin/python3.11") },
  "other kernels' BTF": {
    install: "scripts/fetch-kernel-btf.sh (Debian 6.1/6.12 images' BTF into /var/cache/tsbpf-btf, or TSBPF_BTF_CACHE)",
    present: () => cachedKernelBtfs().length > 0,
  },
  "bench references": {
    install: "what bench/ needs: a C compiler, libbpf-dev, bpftool, libbpf-tools and a built CLI",
    present: () => haveOracle("libbpf-dev") && haveOracle("bpftool") && haveOracle("libbpf-tools"),
  },
};

/** The part of a test context skipping needs (node:test's TestContext has it). */
export interface Skippable {
  skip(message?: string): void;
}

/** True when the run is a CI run (CI=true, as CI services set it). */
export function inCi(): boolean {
  const ci = process.env.CI?.toLowerCase();
  return ci === "true" || ci === "1";
}

/**
 * Skips the test because the machine lacks what it needs, for one of the
 * listed facts. Under CI=true, throws (fails the test) when the fact is
 * visibly false on this machine. Returns nothing, so `return skipFor(…)` ends the test.
 */
export function skipFor<F extends EnvironmentFact>(t: Skippable, fact: F, ...detail: FactDetail<F>): void {
  const [meaning, refutation, extra] = describeFact(fact, detail[0]);
  if (refutation !== undefined && inCi()) {
    throw new Error(`skip for '${fact}' refused under CI: ${refutation} (${meaning}${extra ? `: ${extra}` : ""})`);
  }
  const note = refutation !== undefined ? ` (but ${refutation}: a CI run would fail)` : "";
  t.skip(`${ENVIRONMENT_PREFIX}${fact}] ${meaning}${extra ? `: ${extra}` : ""}${note}`);
}

function describeFact(fact: EnvironmentFact, detail: string | KernelFeature | undefined): [meaning: string, refutation: string | undefined, extra: string | undefined] {
  if (fact === KERNEL_OLDER_THAN) {
    const feature = detail as KernelFeature;
    const running = release();
    const refutation = compareVersions(running, feature.linux) >= 0 ? `the running kernel ${running} is at least ${feature.linux}` : undefined;
    return [`${feature.feature} needs Linux ${feature.linux}+ (running ${running})`, refutation, feature.detail];
  }
  const definition: FactDefinition = FACTS[fact];
  const text = detail as string | undefined;
  const refutation = definition.refute?.() ?? (text !== undefined ? definition.refuteNamed?.(text) : undefined);
  return [definition.meaning, refutation, text];
}

/** Compares "6.18.0-foo" with "6.19" by their numeric parts. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The test cannot run because an oracle or tool is missing: under CI=true
 * this fails the test (throws); elsewhere it skips with what to install.
 */
export function missingOracle(t: Skippable, oracle: Oracle, detail?: string): void {
  const message = `${oracle} is missing (${ORACLES[oracle].install})${detail ? `: ${detail}` : ""}`;
  if (inCi()) throw new Error(`an oracle is missing under CI: ${message}`);
  t.skip(`${ORACLE_PREFIX}${oracle}] ${message}`);
}

const presence = new Map<Oracle, boolean>();

/** True when the oracle or tool is installed (checked once per process). */
export function haveOracle(oracle: Oracle): boolean {
  let present = presence.get(oracle);
  if (present === undefined) {
    present = ORACLES[oracle].present();
    presence.set(oracle, present);
  }
  return present;
}

/**
 * True when the oracle is installed; otherwise missingOracle() (a failure
 * under CI=true, a skip elsewhere) and false: `if (!requireOracle(t, "bpftool")) return;`.
 */
export function requireOracle(t: Skippable, oracle: Oracle, detail?: string): boolean {
  if (haveOracle(oracle)) return true;
  missingOracle(t, oracle, detail);
  return false;
}

/** How a fact stands on this machine: refuted (with the evidence), possible, or only observable by the test itself. */
export type FactState = { state: "refuted"; evidence: string } | { state: "possible" } | { state: "observed by the test" } | { state: "checked per named item" };

/** Every fact and how it stands here (for the report of test/api/environment-policy.test.ts). */
export function factsOfThisMachine(): { fact: EnvironmentFact; meaning: string; standing: FactState }[] {
  const facts = (Object.keys(FACTS) as (keyof typeof FACTS)[]).map((fact) => {
    const definition: FactDefinition = FACTS[fact];
    const evidence = definition.refute?.();
    const standing: FactState = evidence !== undefined ? { state: "refuted", evidence }
      : definition.refute ? { state: "possible" } : definition.refuteNamed ? { state: "checked per named item" } : { state: "observed by the test" };
    return { fact: fact as EnvironmentFact, meaning: definition.meaning, standing };
  });
  facts.push({ fact: KERNEL_OLDER_THAN, meaning: `the running kernel (${release()}) predates a feature`, standing: { state: "checked per named item" } });
  return facts;
}

/** Every oracle and whether it is installed here. */
export function oraclesOfThisMachine(): { oracle: Oracle; present: boolean; install: string }[] {
  return (Object.keys(ORACLES) as Oracle[]).map((oracle) => ({ oracle, present: haveOracle(oracle), install: ORACLES[oracle].install }));
}

/**
 * A benchmark group of bench/ cannot run here, for a free-text reason: only a
 * kernel without BTF is an environment fact; anything else it lacks (a C
 * compiler with libbpf-dev, bpftool, libbpf-tools, a built CLI) is a missing oracle.
 */
export function skipForBenchProblem(t: Skippable, reason: string): void {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF", reason);
  missingOracle(t, "bench references", reason);
}

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
