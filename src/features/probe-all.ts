// Runs every probe and assembles a report shaped like `bpftool -j feature
// probe`: system_config, syscall_config, program_types, map_types, helpers,
// misc (plus tsbpf's own `privileges` section). Individual answers come from
// the per-process caches, so calling this twice costs nothing the second time.
import { HELPER_COUNT, helperCName, probeHelper } from "./helpers.js";
import { haveMapType } from "./map-types.js";
import { MISC_FEATURES, probeBpfSyscall, probeMisc, type MiscFeature } from "./misc.js";
import { MAP_TYPE_NAMES, PROGRAM_TYPE_NAMES } from "./names.js";
import { needsAttachTarget, probeProgramType } from "./program-types.js";
import { BPF_KCONFIG_OPTIONS, readBpfSysctls, readKernelConfig, readPrivileges, type Privileges } from "./system.js";

/** Helpers bpftool leaves out unless asked for a `full` probe: they make the kernel log a warning. */
export const NOISY_HELPERS: readonly number[] = [6 /* trace_printk */, 36 /* probe_write_user */, 177 /* trace_vprintk */];

/** Options of {@link probeAll}. */
export interface ProbeAllOptions {
  /** Include system_config (sysctls and kernel config). Default true. */
  readonly kernel?: boolean;
  /** Probe helpers for every program type. Default true. */
  readonly helpers?: boolean;
  /** Also probe helpers that make the kernel log warnings (bpftool's `full`). Default false. */
  readonly full?: boolean;
}

/** Why the helpers of a program type could not be listed. */
export type HelperListNote = "program type not supported" | "could not determine which helpers are available";

/** The whole feature report (keys and value shapes follow bpftool's JSON). */
export interface FeatureReport {
  system_config?: Record<string, number | string | null>;
  syscall_config: { have_bpf_syscall: boolean };
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  helpers?: Record<string, string[]>;
  /** bpftool's misc section plus tsbpf's extra interface probes. */
  misc: Record<MiscFeature, boolean>;
  /** tsbpf only: who is asking (uid and BPF-related capabilities). */
  privileges: Privileges;
  /** Program types whose helper list is empty for a reason other than "none"; keyed like `helpers`. */
  helper_notes?: Record<string, HelperListNote>;
}

/** Probes everything the running kernel supports (cached per process). */
export function probeAll(options: ProbeAllOptions = {}): FeatureReport {
  const report: FeatureReport = {
    syscall_config: { have_bpf_syscall: probeBpfSyscall().supported },
    program_types: {},
    map_types: {},
    misc: {} as Record<MiscFeature, boolean>,
    privileges: readPrivileges(),
  };
  if (options.kernel ?? true) {
    const sys: Record<string, number | string | null> = {};
    for (const [k, v] of Object.entries(readBpfSysctls())) sys[k] = v ?? null;
    const kconfig = readKernelConfig();
    for (const opt of BPF_KCONFIG_OPTIONS) sys[opt] = kconfig?.get(opt) ?? null;
    report.system_config = sys;
  }
  for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
    report.program_types[`have_${PROGRAM_TYPE_NAMES[t]}_prog_type`] = probeProgramType(t).supported;
  }
  for (let t = 1; t < MAP_TYPE_NAMES.length; t++) {
    report.map_types[`have_${MAP_TYPE_NAMES[t]}_map_type`] = haveMapType(t);
  }
  if (options.helpers ?? true) {
    report.helpers = {};
    report.helper_notes = {};
    for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
      const key = `${PROGRAM_TYPE_NAMES[t]}_available_helpers`;
      const list: string[] = [];
      report.helpers[key] = list;
      if (!probeProgramType(t).supported) {
        report.helper_notes[key] = "program type not supported";
        continue;
      }
      if (needsAttachTarget(t)) {
        report.helper_notes[key] = "could not determine which helpers are available";
        continue;
      }
      for (let id = 1; id < HELPER_COUNT; id++) {
        if (!options.full && NOISY_HELPERS.includes(id)) continue;
        if (probeHelper(t, id).supported) list.push(helperCName(id));
      }
    }
  }
  for (const f of MISC_FEATURES) report.misc[f] = probeMisc(f).supported;
  return report;
}
