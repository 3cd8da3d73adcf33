// System configuration as bpftool's "feature probe kernel" reports it: the
// BPF sysctls and the kernel config options that matter for BPF, plus the
// process's own privileges. Reading files only; no bpf(2) calls.
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { Capability, effectiveCapabilities } from "../sys/privileges.js";
import { gunzip } from "../sys/lazy-builtins.js";

/** The BPF-related sysctls (undefined when the file is missing or unreadable). */
export interface BpfSysctls {
  /** kernel.unprivileged_bpf_disabled: 0 allowed, 1 disabled for good, 2 disabled (admin can change). */
  readonly unprivileged_bpf_disabled: number | undefined;
  /** net.core.bpf_jit_enable: 0 off, 1 on, 2 on with debug output. */
  readonly bpf_jit_enable: number | undefined;
  readonly bpf_jit_harden: number | undefined;
  readonly bpf_jit_kallsyms: number | undefined;
  readonly bpf_jit_limit: number | undefined;
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the BPF sysctls from /proc/sys. */
export function readBpfSysctls(): BpfSysctls {
  return {
    unprivileged_bpf_disabled: readNumber("/proc/sys/kernel/unprivileged_bpf_disabled"),
    bpf_jit_enable: readNumber("/proc/sys/net/core/bpf_jit_enable"),
    bpf_jit_harden: readNumber("/proc/sys/net/core/bpf_jit_harden"),
    bpf_jit_kallsyms: readNumber("/proc/sys/net/core/bpf_jit_kallsyms"),
    bpf_jit_limit: readNumber("/proc/sys/net/core/bpf_jit_limit"),
  };
}

/** The kernel config options bpftool reports, in its order. */
export const BPF_KCONFIG_OPTIONS: readonly string[] = [
  "CONFIG_BPF", "CONFIG_BPF_SYSCALL", "CONFIG_HAVE_EBPF_JIT", "CONFIG_BPF_JIT", "CONFIG_BPF_JIT_ALWAYS_ON",
  "CONFIG_DEBUG_INFO_BTF", "CONFIG_DEBUG_INFO_BTF_MODULES", "CONFIG_CGROUPS", "CONFIG_CGROUP_BPF",
  "CONFIG_CGROUP_NET_CLASSID", "CONFIG_SOCK_CGROUP_DATA", "CONFIG_BPF_EVENTS", "CONFIG_KPROBE_EVENTS",
  "CONFIG_UPROBE_EVENTS", "CONFIG_TRACING", "CONFIG_FTRACE_SYSCALLS", "CONFIG_FUNCTION_ERROR_INJECTION",
  "CONFIG_BPF_KPROBE_OVERRIDE", "CONFIG_NET", "CONFIG_XDP_SOCKETS", "CONFIG_LWTUNNEL_BPF", "CONFIG_NET_ACT_BPF",
  "CONFIG_NET_CLS_BPF", "CONFIG_NET_CLS_ACT", "CONFIG_NET_SCH_INGRESS", "CONFIG_XFRM", "CONFIG_IP_ROUTE_CLASSID",
  "CONFIG_IPV6_SEG6_BPF", "CONFIG_BPF_LIRC_MODE2", "CONFIG_BPF_STREAM_PARSER", "CONFIG_NETFILTER_XT_MATCH_BPF",
  "CONFIG_BPFILTER", "CONFIG_BPFILTER_UMH", "CONFIG_TEST_BPF", "CONFIG_HZ",
];

/** Where the running kernel's config may be found, most specific first. */
function kconfigCandidates(): string[] {
  const r = release();
  return [`/boot/config-${r}`, "/proc/config.gz", `/lib/modules/${r}/config`];
}

let kconfigCache: ReadonlyMap<string, string> | null | undefined;

/**
 * The running kernel's config as a map of option → value ("y", "m", "250", …),
 * or null when no config file is available. Read once per process.
 */
export function readKernelConfig(): ReadonlyMap<string, string> | null {
  if (kconfigCache !== undefined) return kconfigCache;
  kconfigCache = null;
  for (const path of kconfigCandidates()) {
    if (!existsSync(path)) continue;
    try {
      const raw = readFileSync(path);
      const text = (path.endsWith(".gz") ? gunzip(raw) : raw).toString("utf8");
      const m = new Map<string, string>();
      for (const line of text.split("\n")) {
        const eq = line.indexOf("=");
        if (!line.startsWith("CONFIG_") || eq < 0) continue;
        m.set(line.slice(0, eq), line.slice(eq + 1).replace(/^"(.*)"$/, "$1"));
      }
      kconfigCache = m;
      break;
    } catch {
      // unreadable candidate (permissions, corrupt gzip): try the next one
    }
  }
  return kconfigCache;
}

/** The process's effective privileges as far as bpf(2) cares. */
export interface Privileges {
  /** Effective user id (0 is root). */
  readonly euid: number;
  readonly CAP_BPF: boolean;
  readonly CAP_PERFMON: boolean;
  readonly CAP_NET_ADMIN: boolean;
  readonly CAP_SYS_ADMIN: boolean;
}

/** Reads the effective capability set from /proc/self/status. */
export function readPrivileges(): Privileges {
  // No procfs: report no capabilities.
  const eff = effectiveCapabilities() ?? 0n;
  const has = (bit: number): boolean => ((eff >> BigInt(bit)) & 1n) === 1n;
  return {
    euid: process.geteuid?.() ?? -1,
    CAP_BPF: has(Capability.BPF),
    CAP_PERFMON: has(Capability.PERFMON),
    CAP_NET_ADMIN: has(Capability.NET_ADMIN),
    CAP_SYS_ADMIN: has(Capability.SYS_ADMIN),
  };
}

/** True when the kernel exposes its BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF, Linux 5.4+). */
export function haveKernelBtf(): boolean {
  return existsSync("/sys/kernel/btf/vmlinux");
}
