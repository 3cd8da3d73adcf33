// `tsbpf feature probe` without the BPF capabilities: it stops with the
// missing capabilities named (as bpftool does) instead of reporting every
// type unavailable, and `unprivileged` probes what such a process may use —
// the same answers as a real unprivileged process and as bpftool's
// `feature probe unprivileged`. The unprivileged runs are children started
// through setpriv as nobody with every capability dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CLI, bpftool } from "../util/cli.js";
import { missingBpfCapabilities } from "../../src/sys/privileges.js";
import { withoutCapabilities } from "../../src/sys/capabilities.js";
import { BpfMap, MapType } from "../../src/index.js";

interface Report {
  program_types: Record<string, boolean>;
  map_types: Record<string, boolean>;
  privileges?: Record<string, unknown>;
}

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"];

function asNobody(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("setpriv", [...NOBODY, process.execPath, CLI, ...args], { encoding: "utf8", cwd: "/", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`setpriv (util-linux) is needed to drop privileges: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tsbpfAsRoot(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("without capabilities every probe form stops and names what is missing", () => {
  for (const args of [["feature", "probe"], ["-j", "feature", "probe"], ["feature", "probe", "--summary"], ["feature", "probe", "macros"]]) {
    const r = asNobody(...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    // No report that would say everything is unavailable: the error alone, as
    // bpftool's -j prints it ({"error": …} on stdout), or on stderr.
    const json = args[0] === "-j";
    if (json) assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object), ["error"]);
    else assert.equal(r.stdout, "", "no report that would say everything is unavailable");
    const message = json ? r.stdout : r.stderr;
    assert.match(message, /missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN \(or CAP_SYS_ADMIN\), required for full feature probing/);
    assert.match(message, /use 'unprivileged'/);
  }
});

test("'unprivileged' as nobody, as root and bpftool's agree; root gets its capabilities back", () => {
  const nobody = asNobody("-j", "feature", "probe", "unprivileged");
  assert.equal(nobody.status, 0, nobody.stderr);
  assert.match(nobody.stderr, /probing as an unprivileged user/);
  const asNobodyReport = JSON.parse(nobody.stdout) as Report;
  assert.deepEqual(asNobodyReport.privileges, { euid: 65534, CAP_BPF: false, CAP_PERFMON: false, CAP_NET_ADMIN: false, CAP_SYS_ADMIN: false });

  const root = tsbpfAsRoot("-j", "feature", "probe", "unprivileged");
  assert.equal(root.status, 0, root.stderr);
  const asRootReport = JSON.parse(root.stdout) as Report;
  assert.equal(asRootReport.privileges?.CAP_BPF, false, "probed with the capabilities dropped");
  assert.deepEqual(asRootReport.program_types, asNobodyReport.program_types);
  assert.deepEqual(asRootReport.map_types, asNobodyReport.map_types);

  const theirs = JSON.parse(bpftool("-j", "feature", "probe", "unprivileged")) as Report;
  let compared = 0;
  for (const section of ["program_types", "map_types"] as const) {
    for (const [key, value] of Object.entries(theirs[section])) {
      if (!(key in asRootReport[section])) continue;
      compared++;
      assert.equal(asRootReport[section][key], value, key);
    }
  }
  assert.ok(compared >= 60, `${compared} types compared with bpftool`);
});

test("withoutCapabilities clears the BPF capabilities for the call only", () => {
  assert.deepEqual(missingBpfCapabilities(), [], "the test runs as root");
  const inside = withoutCapabilities(["SYS_ADMIN", "BPF", "NET_ADMIN", "PERFMON"], () => {
    const missing = missingBpfCapabilities();
    let created = true;
    try {
      BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    } catch {
      created = false;
    }
    return { missing, created };
  });
  assert.deepEqual(inside.missing.sort(), ["BPF", "NET_ADMIN", "PERFMON", "SYS_ADMIN"]);
  assert.equal(inside.created, false, "bpf(2) refused while the capabilities were dropped");
  assert.deepEqual(missingBpfCapabilities(), []);
  BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
});
