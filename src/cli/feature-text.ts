// Plain-text renderings of the feature report: bpftool's `feature probe`
// wording, and tsbpf's short summary (what `npm start` prints).
import { release, arch } from "node:os";
import { possibleCpuCount } from "../sys/cpus.js";
import {
  MAP_TYPE_NAMES, PROGRAM_TYPE_NAMES, BPF_KCONFIG_OPTIONS, haveKernelBtf, probeMapType, probeMisc, probeProgramType,
  type FeatureReport, type MiscFeature,
} from "../features/index.js";

const SYSCTL_TEXT: Record<string, Record<number, string>> = {
  unprivileged_bpf_disabled: {
    0: "bpf() syscall for unprivileged users is enabled",
    1: "bpf() syscall restricted to privileged users (without recovery)",
    2: "bpf() syscall restricted to privileged users (admin can change)",
  },
  bpf_jit_enable: {
    0: "JIT compiler is disabled",
    1: "JIT compiler is enabled",
    2: "JIT compiler is enabled with debugging traces in kernel logs",
  },
  bpf_jit_harden: {
    0: "JIT compiler hardening is disabled",
    1: "JIT compiler hardening is enabled for unprivileged users",
    2: "JIT compiler hardening is enabled for all users",
  },
  bpf_jit_kallsyms: {
    0: "JIT compiler kallsyms exports are disabled",
    1: "JIT compiler kallsyms exports are enabled for root",
    2: "JIT compiler kallsyms exports are enabled for all users",
  },
};

const MISC_TEXT: Record<MiscFeature, string> = {
  have_large_insn_limit: "Large program size limit",
  have_bounded_loops: "Bounded loop support",
  have_v2_isa_extension: "ISA extension v2",
  have_v3_isa_extension: "ISA extension v3",
  have_v4_isa_extension: "ISA extension v4",
  have_bpf_cookie: "BPF cookie (bpf_get_attach_cookie) support",
  have_ringbuf: "Ring buffer map support",
  have_batch_ops: "Batch map operation support",
  have_log_true_size: "Verifier log_true_size reporting",
  have_mmapable_maps: "Memory-mappable map support",
  have_fentry: "fentry/fexit trampoline support",
};

const avail = (ok: boolean): string => (ok ? "is available" : "is NOT available");

/** The report in bpftool's plain-text `feature probe` format. */
export function featureProbeText(r: FeatureReport): string {
  const out: string[] = [];
  if (r.system_config) {
    out.push("Scanning system configuration...");
    const sys = r.system_config;
    for (const key of Object.keys(SYSCTL_TEXT)) {
      const v = sys[key];
      if (typeof v === "number") out.push(SYSCTL_TEXT[key]?.[v] ?? `${key} has unknown value ${v}`);
      else out.push(`Unable to retrieve ${key}`);
    }
    const limit = sys.bpf_jit_limit;
    if (typeof limit === "number") out.push(`Global memory limit for JIT compiler for unprivileged users is ${limit} bytes`);
    for (const opt of BPF_KCONFIG_OPTIONS) {
      const v = sys[opt];
      out.push(v === null || v === undefined ? `${opt} is not set` : `${opt} is set to ${v}`);
    }
    out.push("");
  }
  out.push("Scanning system call availability...");
  out.push(r.syscall_config.have_bpf_syscall ? "bpf() syscall is available" : "bpf() syscall is NOT available", "");
  out.push("Scanning eBPF program types...");
  for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
    const name = PROGRAM_TYPE_NAMES[t] ?? "";
    out.push(`eBPF program_type ${name} ${avail(r.program_types[`have_${name}_prog_type`] ?? false)}`);
  }
  out.push("", "Scanning eBPF map types...");
  for (let t = 1; t < MAP_TYPE_NAMES.length; t++) {
    const name = MAP_TYPE_NAMES[t] ?? "";
    out.push(`eBPF map_type ${name} ${avail(r.map_types[`have_${name}_map_type`] ?? false)}`);
  }
  if (r.helpers) {
    out.push("", "Scanning eBPF helper functions...");
    for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
      const key = `${PROGRAM_TYPE_NAMES[t]}_available_helpers`;
      out.push(`eBPF helpers supported for program type ${PROGRAM_TYPE_NAMES[t]}:`);
      const note = r.helper_notes?.[key];
      if (note) out.push(`\t${note[0]?.toUpperCase()}${note.slice(1)}`);
      else for (const h of r.helpers[key] ?? []) out.push(`\t- ${h}`);
    }
  }
  out.push("", "Scanning miscellaneous eBPF features...");
  for (const [k, v] of Object.entries(r.misc)) out.push(`${MISC_TEXT[k as MiscFeature]} ${avail(v)}`);
  out.push(""); // bpftool ends every section with a blank line
  return out.join("\n");
}

function missingList(names: readonly string[], probe: (t: number) => { supported: boolean; reason: string }): string[] {
  const missing: string[] = [];
  for (let t = 1; t < names.length; t++) {
    const r = probe(t);
    if (!r.supported) missing.push(`${names[t]} (${r.reason.split(":")[0]})`);
  }
  return missing;
}

/** A short human summary of what this kernel offers tsbpf (no helper scan: it is quick). */
export function featureSummaryText(r: FeatureReport): string {
  const yes = (b: boolean | undefined): string => (b ? "yes" : "no");
  const p = r.privileges;
  const caps = (["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"] as const).filter((c) => p[c]);
  const sys = r.system_config ?? {};
  const progMissing = missingList(PROGRAM_TYPE_NAMES, probeProgramType);
  const mapMissing = missingList(MAP_TYPE_NAMES, probeMapType);
  const progCount = PROGRAM_TYPE_NAMES.length - 1;
  const mapCount = MAP_TYPE_NAMES.length - 1;
  const jit = sys.bpf_jit_enable === 0 ? "off" : sys.bpf_jit_enable === undefined || sys.bpf_jit_enable === null ? "unknown" : "on";
  const unpriv = typeof sys.unprivileged_bpf_disabled === "number" ? (sys.unprivileged_bpf_disabled === 0 ? "allowed" : "disabled") : "unknown";
  const m = r.misc;
  const isa = m.have_v4_isa_extension ? "v4" : m.have_v3_isa_extension ? "v3" : m.have_v2_isa_extension ? "v2" : "v1";
  const lines = [
    `tsbpf on Linux ${release()} (${arch()}, ${possibleCpuCount()} possible CPUs)`,
    `  bpf(2) syscall     ${r.syscall_config.have_bpf_syscall ? "available" : "NOT available"}; uid ${p.euid}, ${caps.length ? caps.join(" ") : "no BPF capabilities"}`,
    `  unprivileged bpf   ${unpriv}; JIT ${jit}${sys.CONFIG_BPF_JIT_ALWAYS_ON === "y" ? " (always on)" : ""}`,
    `  kernel BTF         ${haveKernelBtf() ? "yes (/sys/kernel/btf/vmlinux): CO-RE objects can load" : "no: CO-RE needs an external BTF file"}`,
    `  program types      ${progCount - progMissing.length}/${progCount} available${progMissing.length ? `; missing: ${progMissing.join(", ")}` : ""}`,
    `  map types          ${mapCount - mapMissing.length}/${mapCount} available${mapMissing.length ? `; missing: ${mapMissing.join(", ")}` : ""}`,
    `  instruction set    ${isa}; bounded loops ${yes(m.have_bounded_loops)}; large programs ${yes(m.have_large_insn_limit)}`,
    `  ring buffer ${yes(m.have_ringbuf)}, batch map ops ${yes(m.have_batch_ops)}, BPF cookie ${yes(m.have_bpf_cookie)}, mmapable maps ${yes(m.have_mmapable_maps)}, log_true_size ${yes(m.have_log_true_size)}`,
    `  attach             kprobes ${sys.CONFIG_KPROBE_EVENTS ? "yes" : "no (CONFIG_KPROBE_EVENTS is not set)"}; uprobes ${sys.CONFIG_UPROBE_EVENTS ? "yes" : "no"}; ` +
      `fentry/fexit ${m.have_fentry ? "yes" : `no (${probeMisc("have_fentry").reason.split(":")[0]})`}`,
    "",
    "Run 'tsbpf feature probe' for the full report (helpers per program type), or add -j for JSON.",
  ];
  return lines.join("\n");
}
