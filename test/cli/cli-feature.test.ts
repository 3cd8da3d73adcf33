// `tsbpf feature …` run as a child process and compared with bpftool.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ok, tsbpf } from "../util/cli.js";
import { requireOracle } from "../util/environment.js";

interface Report {
  syscall_config: { have_bpf_syscall: boolean };
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  helpers: Record<string, string[]>;
  misc: Record<string, boolean>;
  system_config: Record<string, unknown>;
}

// bpftool built on libbpf < 1.2 cannot probe BTF-attached program types; it may say "no" where
// the kernel demonstrably knows the type (tsbpf proves it through the verifier's message).
const LIBBPF_CANNOT_PROBE = new Set(["have_tracing_prog_type", "have_ext_prog_type", "have_lsm_prog_type"]);

test("feature probe -j parses and agrees with bpftool on every type both know", (t) => {
  const ours = JSON.parse(ok("-j", "feature", "probe")) as Report;
  assert.equal(ours.syscall_config.have_bpf_syscall, true);
  assert.equal(ours.program_types.have_socket_filter_prog_type, true);
  assert.ok(Array.isArray(ours.helpers.xdp_available_helpers));
  assert.ok(ours.helpers.xdp_available_helpers!.includes("bpf_redirect"));
  if (!requireOracle(t, "bpftool", "parsed only")) return;
  const theirs = JSON.parse(execFileSync("bpftool", ["-j", "feature", "probe"], { encoding: "utf8" })) as Report;
  let both = 0;
  for (const section of ["program_types", "map_types"] as const) {
    for (const [key, value] of Object.entries(theirs[section])) {
      if (!(key in ours[section])) continue;
      both++;
      if (LIBBPF_CANNOT_PROBE.has(key) && ours[section][key] && !value) continue;
      assert.equal(ours[section][key], value, key);
    }
  }
  assert.ok(both >= 60);
  assert.deepEqual(Object.keys(ours.system_config), Object.keys(theirs.system_config));
  t.diagnostic(`${both} program/map types compared with bpftool`);
});

test("feature probe plain text matches bpftool's wording section by section", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const ours = ok("feature", "probe").split("\n");
  const theirs = execFileSync("bpftool", ["feature", "probe"], { encoding: "utf8" }).split("\n");
  // The system configuration and syscall sections are identical line for line.
  const head = (lines: string[]): string[] => lines.slice(0, lines.indexOf("Scanning eBPF program types..."));
  assert.deepEqual(head(ours), head(theirs));
  // Program and map type lines agree for every type both tools know.
  const typeLines = (lines: string[]): Map<string, string> =>
    new Map(lines.filter((l) => /^eBPF (program|map)_type /.test(l)).map((l) => [l.split(" ").slice(0, 3).join(" "), l]));
  const ourTypes = typeLines(ours);
  let compared = 0;
  for (const [key, line] of typeLines(theirs)) {
    const mine = ourTypes.get(key);
    if (!mine) continue;
    compared++;
    const name = key.split(" ")[2];
    if (mine !== line && LIBBPF_CANNOT_PROBE.has(`have_${name}_prog_type`) && mine.endsWith("is available")) continue;
    assert.equal(mine, line);
  }
  assert.ok(compared >= 60);
  assert.ok(ours.includes("Scanning eBPF helper functions..."));
  assert.ok(ours.includes("Scanning miscellaneous eBPF features..."));
});

test("feature probe --summary (what npm start prints) is short and complete", () => {
  const out = ok("feature", "probe", "--summary");
  for (const word of ["bpf(2) syscall", "kernel BTF", "program types", "map types", "instruction set", "ring buffer"]) {
    assert.ok(out.includes(word), `summary lacks '${word}'`);
  }
  assert.ok(out.split("\n").length < 20);
  // Abbreviations work as in bpftool.
  assert.equal(ok("f", "p", "--summary"), out);
});

test("feature probe macros matches bpftool's #define lines", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  for (const prefix of [[], ["prefix", "TSBPF_"]]) {
    const ours = new Set(ok("feature", "probe", "macros", ...prefix).split("\n"));
    const theirs = execFileSync("bpftool", ["feature", "probe", "macros", ...prefix], { encoding: "utf8" }).split("\n");
    let compared = 0;
    for (const line of theirs) {
      // Helper answers differ where bpftool 7.1 misreads the newer verifier message (see
      // features-probes.test.ts); BTF-attached types are the libbpf < 1.2 limitation above.
      if (line.includes("__HELPER_bpf_") || /_(TRACING|EXT|LSM)_PROG_TYPE$/.test(line)) continue;
      assert.ok(ours.has(line), `missing: ${line}`);
      compared++;
    }
    assert.ok(compared > 80);
  }
  assert.match(ok("feature", "probe", "macros"), /#define BPF__PROG_TYPE_xdp__HELPER_bpf_redirect 1\n/);
  assert.equal(tsbpf("-j", "feature", "probe", "macros").status, 2);
});

test("feature list_builtins lists names bpftool uses", () => {
  const maps = ok("feature", "list_builtins", "map_types").split("\n");
  assert.ok(maps.includes("hash") && maps.includes("ringbuf"));
  const helpers = JSON.parse(ok("-j", "feature", "list_builtins", "helpers")) as string[];
  assert.equal(helpers[0], "bpf_map_lookup_elem");
  const bad = tsbpf("feature", "list_builtins", "nope");
  assert.equal(bad.status, 2);
});
