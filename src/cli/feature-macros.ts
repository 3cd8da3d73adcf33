// `feature probe macros [prefix PREFIX]`: the report as C preprocessor
// definitions (bpftool's format), for build systems that adapt BPF code to
// the kernel they run on.
import {
  HELPER_COUNT, MAP_TYPE_NAMES, NOISY_HELPERS, PROGRAM_TYPE_NAMES, helperCName, probeHelper, probeProgramType,
  type FeatureReport,
} from "../features/index.js";
import { needsAttachTarget } from "../features/program-types.js";

/** The report as #define lines; `full` includes the helpers bpftool skips by default. */
export function featureMacrosText(r: FeatureReport, prefix: string, full: boolean): string {
  const out: string[] = [];
  const flag = (ok: boolean, name: string): string => `#define ${prefix}${ok ? "" : "NO_"}HAVE_${name}`;
  const hz = r.system_config?.CONFIG_HZ;
  if (r.system_config) {
    out.push("/*** Misc kernel config items ***/");
    if (hz !== null && hz !== undefined) out.push(`#define ${prefix}CONFIG_HZ ${hz}`);
    out.push("");
  }
  out.push("/*** System call availability ***/", flag(r.syscall_config.have_bpf_syscall, "BPF_SYSCALL"), "");
  out.push("/*** eBPF program types ***/");
  for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
    const name = PROGRAM_TYPE_NAMES[t] ?? "";
    out.push(flag(r.program_types[`have_${name}_prog_type`] ?? false, `${name.toUpperCase()}_PROG_TYPE`));
  }
  out.push("", "/*** eBPF map types ***/");
  for (let t = 1; t < MAP_TYPE_NAMES.length; t++) {
    const name = MAP_TYPE_NAMES[t] ?? "";
    out.push(flag(r.map_types[`have_${name}_map_type`] ?? false, `${name.toUpperCase()}_MAP_TYPE`));
  }
  if (r.helpers) {
    out.push(
      "",
      "/*** eBPF helper functions ***/",
      "/*",
      ` * Use ${prefix}HAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)`,
      " * to determine if <helper_name> is available for <prog_type_name>,",
      " * e.g.",
      ` *\t#if ${prefix}HAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)`,
      " *\t\t// do stuff with this helper",
      " *\t#elif",
      " *\t\t// use a workaround",
      " *\t#endif",
      " */",
      `#define ${prefix}HAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\`,
      `\t${prefix}BPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper`,
    );
    for (let t = 1; t < PROGRAM_TYPE_NAMES.length; t++) {
      // Types that need an attach target cannot be probed: no answer rather than a wrong one.
      if (probeProgramType(t).supported && needsAttachTarget(t)) continue;
      const typeOk = probeProgramType(t).supported;
      for (let id = 1; id < HELPER_COUNT; id++) {
        if (!full && NOISY_HELPERS.includes(id)) continue;
        const ok = typeOk && probeHelper(t, id).supported;
        out.push(`#define ${prefix}BPF__PROG_TYPE_${PROGRAM_TYPE_NAMES[t]}__HELPER_${helperCName(id)} ${ok ? 1 : 0}`);
      }
    }
  }
  out.push("", "/*** eBPF misc features ***/");
  for (const [k, v] of Object.entries(r.misc)) out.push(flag(v, k.replace(/^have_/, "").toUpperCase()));
  out.push("", ""); // bpftool ends the last section with a blank line too
  return out.join("\n");
}
