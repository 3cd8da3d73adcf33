// Why a bpf(2) call was refused: which capability is missing, or — when the
// process holds them all — which kernel policy is in the way. Only read on
// the error path, so nothing here is cached. node:fs is fetched when needed,
// not imported: every error class imports this file, and the pure layers
// (tsbpf/asm, tsbpf/vm) must load in runtimes without Node's builtins.

/** Capabilities that gate BPF, by bit number (linux/capability.h). */
export const Capability = {
  NET_ADMIN: 12,
  SYS_ADMIN: 21,
  PERFMON: 38,
  BPF: 39,
} as const;
export type CapabilityName = keyof typeof Capability;

function readText(path: string): string | undefined {
  try {
    return globalThis.process?.getBuiltinModule?.("node:fs").readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The effective capability set of this process (CapEff of /proc/self/status). */
export function effectiveCapabilities(): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readText("/proc/self/status") ?? "");
  return m?.[1] ? BigInt(`0x${m[1]}`) : undefined;
}

/** Capabilities among CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN this process lacks. */
export function missingBpfCapabilities(): CapabilityName[] {
  const caps = effectiveCapabilities();
  if (caps === undefined) return [];
  return (Object.keys(Capability) as CapabilityName[]).filter((n) => ((caps >> BigInt(Capability[n])) & 1n) === 0n);
}

/**
 * Capabilities a full feature probe needs and this process lacks: none with
 * CAP_SYS_ADMIN (which implies the others for BPF), else those of CAP_BPF,
 * CAP_PERFMON and CAP_NET_ADMIN it misses, then CAP_SYS_ADMIN as the
 * alternative. Empty when /proc cannot tell (the kernel then decides).
 */
export function missingForFullProbe(): CapabilityName[] {
  const missing = missingBpfCapabilities();
  if (!missing.includes("SYS_ADMIN")) return [];
  const needed = (["BPF", "PERFMON", "NET_ADMIN"] as const).filter((n) => missing.includes(n));
  return needed.length ? [...needed, "SYS_ADMIN"] : [];
}

/** Explains an EPERM/EACCES from bpf(2) in terms a user can act on. */
export function explainPermissionDenied(): string {
  const missing = missingBpfCapabilities();
  // CAP_SYS_ADMIN implies everything CAP_BPF grants (and older kernels only know CAP_SYS_ADMIN).
  const hasBpf = !missing.includes("BPF") || !missing.includes("SYS_ADMIN");
  if (!hasBpf) {
    return "the process lacks CAP_BPF (and CAP_SYS_ADMIN): run as root, or grant CAP_BPF " +
      "(plus CAP_PERFMON for tracing programs and CAP_NET_ADMIN for networking programs)";
  }
  const lacking = missing.filter((n) => n === "PERFMON" || n === "NET_ADMIN");
  if (lacking.length && missing.includes("SYS_ADMIN")) {
    return `the process has CAP_BPF but lacks ${lacking.map((n) => `CAP_${n}`).join(" and ")}, ` +
      "which tracing (CAP_PERFMON) and networking (CAP_NET_ADMIN) programs and maps need";
  }
  const reasons: string[] = [];
  const lockdown = /\[(\w+)\]/.exec(readText("/sys/kernel/security/lockdown") ?? "")?.[1];
  if (lockdown && lockdown !== "none") reasons.push(`kernel lockdown is in '${lockdown}' mode (it forbids some BPF helpers and reading kernel memory)`);
  const unpriv = readText("/proc/sys/kernel/unprivileged_bpf_disabled")?.trim();
  if (missing.length && unpriv && unpriv !== "0") reasons.push(`kernel.unprivileged_bpf_disabled=${unpriv}`);
  reasons.push("an LSM (SELinux, AppArmor, Landlock or a BPF LSM program) may deny it — check the audit log / dmesg");
  return `the process holds the BPF capabilities, so a kernel policy refused the call: ${reasons.join("; ")}`;
}
