// `tsbpf cgroup show|tree|attach|detach` against bpftool on a child cgroup
// the test creates: programs attached by tsbpf (multi, override, exclusive,
// and one in a sub-cgroup) are listed byte for byte as bpftool lists them,
// plain, -j and -p, with and without 'effective'; the attached egress
// program really counts a child process's datagrams; detach removes every
// one, and bad input exits non-zero with a message naming the target.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { bpftool, ok, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";
import { requireOracle, skipFor } from "../util/environment.js";
import { CGROUP2, haveCgroup2, makeChildCgroup, runInCgroup, sendUdpScript } from "../util/cgroup.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/cgroup.bpf.o", import.meta.url));

/** [cgroup (relative to the test's), attach type, program, flags] in the order the test attaches them. */
const ATTACHMENTS: readonly [string, string, string, string?][] = [
  ["", "cgroup_inet_egress", "count_egress", "multi"],
  ["", "cgroup_inet_egress", "count_egress_too", "multi"],
  ["", "cgroup_inet_sock_create", "count_sock_create", "override"],
  ["", "cgroup_inet4_connect", "refuse_connect4"],
  ["/sub/leaf", "cgroup_inet_ingress", "count_egress"],
];

function sameAsBpftool(args: string[]): void {
  for (const mode of [[], ["-j"], ["-p"]]) {
    const ours = ok(...mode, ...args);
    const theirs = bpftool(...mode, ...args);
    assert.equal(ours, theirs, `tsbpf ${[...mode, ...args].join(" ")} differs from bpftool`);
  }
}

test("cgroup attach/show/tree/detach: bpftool's output, byte for byte, and the programs run", (t) => {
  if (!haveCgroup2()) return skipFor(t, "no cgroup v2", CGROUP2);
  if (!requireOracle(t, "bpftool")) return;
  const cg = makeChildCgroup("tsbpf-cli");
  const pins = bpffsTempDir("tsbpf-cli-cgroup-");
  mkdirSync(`${cg.path}/sub/leaf`, { recursive: true });
  mkdirSync(`${cg.path}/empty`);
  try {
    using c = Collection.load(loadObjectSpec(OBJECT));
    for (const [name, prog] of c.programs) prog.pin(`${pins.path}/${name}`);
    for (const [where, type, prog, flags] of ATTACHMENTS) {
      assert.equal(ok("cgroup", "attach", cg.path + where, type, "pinned", `${pins.path}/${prog}`, ...(flags ? [flags] : [])), "");
    }
    for (const path of [cg.path, `${cg.path}/sub`, `${cg.path}/sub/leaf`, `${cg.path}/empty`]) {
      sameAsBpftool(["cgroup", "show", path]);
      sameAsBpftool(["cgroup", "show", path, "effective"]);
    }
    sameAsBpftool(["cgroup", "tree", cg.path]);
    sameAsBpftool(["cgroup", "tree", cg.path, "effective"]);
    sameAsBpftool(["cgroup", "tree"]);
    assert.match(ok("cgroup", "show", cg.path), /count_egress_too +\n/);

    runInCgroup(cg.path, sendUdpScript(3));
    const counted = c.variable("egress_packets").getBigInt();
    assert.ok(counted >= 303n, `both egress programs ran: ${counted}`);

    // An exclusive hook refuses a second program; a sub-cgroup may not attach under it either.
    const refused = tsbpf("cgroup", "attach", `${cg.path}/sub`, "cgroup_inet4_connect", "pinned", `${pins.path}/refuse_connect4`);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cgroup_inet4_connect/);

    assert.equal(ok("-j", "cgroup", "detach", cg.path, "cgroup_inet4_connect", "pinned", `${pins.path}/refuse_connect4`), "null\n");
    for (const [where, type, prog] of ATTACHMENTS.slice(0, 3).concat(ATTACHMENTS.slice(4))) {
      ok("cgroup", "detach", cg.path + where, type, "pinned", `${pins.path}/${prog}`);
    }
    assert.equal(bpftool("cgroup", "tree", cg.path), "CgroupPath\nID       AttachType      AttachFlags     Name           \n");
    sameAsBpftool(["cgroup", "tree", cg.path]);
    assert.equal(ok("cgroup", "show", cg.path), "");
  } finally {
    // Nothing may stay attached, whatever failed above.
    for (const [where, type, prog] of ATTACHMENTS) tsbpf("cgroup", "detach", cg.path + where, type, "pinned", `${pins.path}/${prog}`);
    pins.cleanup();
    rmdirSync(`${cg.path}/sub/leaf`);
    rmdirSync(`${cg.path}/sub`);
    rmdirSync(`${cg.path}/empty`);
    cg.remove();
  }
});

test("cgroup verbs: bad input exits non-zero and names the target", (t) => {
  if (!haveCgroup2()) return skipFor(t, "no cgroup v2", CGROUP2);
  const missing = `${CGROUP2}/tsbpf-no-such-${process.pid}`;
  const show = tsbpf("cgroup", "show", missing);
  assert.equal(show.status, 1);
  assert.match(show.stderr, new RegExp(`cgroup ${missing} does not exist`));
  const type = tsbpf("cgroup", "attach", CGROUP2, "xdp", "id", "1");
  assert.equal(type.status, 2);
  assert.match(type.stderr, /invalid attach type 'xdp'/);
  const flag = tsbpf("cgroup", "attach", CGROUP2, "cgroup_inet_egress", "id", "1", "sometimes");
  assert.equal(flag.status, 2);
  const cg = makeChildCgroup("tsbpf-cli");
  try {
    using c = Collection.load(loadObjectSpec(OBJECT));
    const id = String(c.program("count_egress").id);
    const detach = tsbpf("cgroup", "detach", cg.path, "cgroup_inet_egress", "id", id);
    assert.equal(detach.status, 1);
    assert.match(detach.stderr, new RegExp(`not attached to cgroup ${cg.path} as cgroup_inet_egress`));
    // A program of the wrong type for the hook: the kernel refuses, nothing is attached.
    const wrong = tsbpf("cgroup", "attach", cg.path, "cgroup_inet4_connect", "id", id);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /EINVAL/);
    assert.equal(ok("cgroup", "show", cg.path), "");
  } finally {
    cg.remove();
  }
});
