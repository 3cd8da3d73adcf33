// `tsbpf feature …`: what the running kernel supports.
import { didYouMean } from "./suggest.js";
import { UsageError } from "./args.js";
import type { ObjectCommands } from "./command.js";
import { featureProbeText, featureSummaryText } from "./feature-text.js";
import { featureMacrosText } from "./feature-macros.js";
import { HELPER_COUNT, MAP_TYPE_NAMES, PROGRAM_TYPE_NAMES, helperCName, probeAll } from "../features/index.js";
import { missingForFullProbe, type CapabilityName } from "../sys/privileges.js";
import { withoutCapabilities } from "../sys/capabilities.js";
import { PermissionError } from "../sys/errors.js";

const BPF_CAPABILITIES: readonly CapabilityName[] = ["SYS_ADMIN", "BPF", "NET_ADMIN", "PERFMON"];
const capList = (names: readonly CapabilityName[]): string => names.map((n) => `CAP_${n}`).join(", ");

/** The `feature` object of the CLI. */
export const featureCommands: ObjectCommands = {
  name: "feature",
  summary: "probe what the running kernel supports",
  grammar: `COMPONENT := { kernel }
GROUP     := { prog_types | map_types | helpers }
OPTIONS   := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

'probe' scans system configuration, program types, map types, helpers per
program type and miscellaneous features. 'full' also probes helpers that make
the kernel log a warning (bpf_trace_printk, bpf_probe_write_user, …).
'macros' prints the answers as C #define lines (HAVE_XDP_PROG_TYPE, …),
optionally with a PREFIX. '--summary' prints a short overview without the
helper scan.

Without CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or CAP_SYS_ADMIN) the kernel
refuses most probes, so 'probe' stops and names the missing capabilities.
'unprivileged' probes what a process without them may use (dropping them
for the probe when this process holds them), as bpftool does.`,
  commands: [
    {
      name: "probe",
      synopsis: "probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]] [--summary]",
      examples: [
        "tsbpf feature probe --summary",
        "tsbpf -j feature probe | jq .map_types",
        "tsbpf feature probe kernel full",
        "tsbpf feature probe unprivileged",
        "tsbpf feature probe macros prefix MYAPP_ > kernel_features.h",
      ],
      run(args, ctx) {
        let full = false;
        let summary = false;
        let macros: string | undefined;
        let unprivileged = false;
        while (args.remaining) {
          if (args.acceptExact("--summary")) summary = true;
          else if (args.accept("kernel")) continue;
          else if (args.accept("full")) full = true;
          else if (args.accept("unprivileged")) unprivileged = true;
          else if (args.accept("macros")) macros = args.accept("prefix") ? args.next("PREFIX") : "";
          else if (args.peek() === "dev") throw new UsageError("probing offload devices ('dev NAME') is not supported", args.topic);
          else args.end();
        }
        if (macros !== undefined && ctx.out.json) throw new UsageError("'macros' prints C definitions; it cannot be combined with -j", args.topic);
        // Without privileges every answer would be a misleading "NOT available".
        const missing = missingForFullProbe();
        if (missing.length && !unprivileged) {
          throw new PermissionError(
            `missing ${capList(missing.slice(0, -1))} (or ${capList(missing.slice(-1))}), required for full feature probing; ` +
              "run as root, or use 'unprivileged' to probe what an unprivileged user may use",
          );
        }
        const probe = () => probeAll({ full, helpers: !summary });
        if (unprivileged) {
          process.stderr.write(`Note: probing as an unprivileged user (without ${capList(BPF_CAPABILITIES)}): ` +
            "a type reported as NOT available may be available to privileged users.\n");
        }
        const report = unprivileged ? withoutCapabilities(BPF_CAPABILITIES, probe) : probe();
        if (macros !== undefined) ctx.out.text(featureMacrosText(report, macros, full));
        else if (summary && !ctx.out.json) ctx.out.line(featureSummaryText(report));
        else if (ctx.out.json) ctx.out.jsonValue(report);
        else ctx.out.line(featureProbeText(report));
      },
    },
    {
      name: "list_builtins",
      synopsis: "list_builtins GROUP",
      examples: ["tsbpf feature list_builtins map_types"],
      run(args, ctx) {
        const group = args.next("GROUP (prog_types, map_types or helpers)");
        args.end();
        let names: string[];
        if (group === "prog_types") names = PROGRAM_TYPE_NAMES.slice();
        else if (group === "map_types") names = MAP_TYPE_NAMES.slice();
        else if (group === "helpers") names = Array.from({ length: HELPER_COUNT }, (_, i) => helperCName(i)).slice(1);
        else throw new UsageError(`unknown GROUP '${group}'${didYouMean(group, ["prog_types", "map_types", "helpers"])} (expected prog_types, map_types or helpers)`, args.topic);
        if (ctx.out.json) ctx.out.jsonValue(names);
        else for (const n of names) ctx.out.line(n);
      },
    },
  ],
};
