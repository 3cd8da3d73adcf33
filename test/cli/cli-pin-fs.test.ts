// The CLI and the file systems it needs: `type TYPE` for objects whose SEC()
// names libbpf does not know, bpffs unmounted (inside `unshare -m`, never in
// the host's mount namespace): mounted when allowed, else refused at once
// with the reason; pins outside bpffs, a '.' in a pin name, pin directories
// made 0700 whatever the umask; tracefs unmounted in a private mount
// namespace while opensnoop (`npm start`) traces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { CLI, bpftool, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";

const OBJ = fileURLToPath(new URL("../../../test/fixtures/cli/socket-sections.bpf.o", import.meta.url));
const UNSIZED_OBJ = fileURLToPath(new URL("../../../test/fixtures/cli/unsized-map.bpf.o", import.meta.url));
const OPENSNOOP = fileURLToPath(new URL("../../examples/opensnoop/main.js", import.meta.url));
/** A guard against hangs (the bug was an endless mkdir loop), not a duration being asserted. */
const HANG_GUARD_MS = 60_000;

/** Runs a shell script in a private mount namespace (util-linux unshare makes its mounts private). */
function inPrivateMountNamespace(script: string): { status: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null } {
  const r = spawnSync("unshare", ["-m", "sh", "-c", script], { encoding: "utf8", timeout: HANG_GUARD_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

test("type TYPE applies to every program before unknown SEC() names are refused; errors speak CLI", () => {
  const dir = bpffsTempDir("tsbpf-cli-type-");
  try {
    const untyped = tsbpf("prog", "load", OBJ, `${dir.path}/p`);
    assert.equal(untyped.status, 2, untyped.stderr);
    assert.match(untyped.stderr, /section 'socket\/first'.*`type TYPE`/);
    assert.doesNotMatch(untyped.stderr, /setType|programTypes/);
    assert.ok(!existsSync(`${dir.path}/p`));

    const one = tsbpf("prog", "load", OBJ, `${dir.path}/p`, "type", "socket", "--program", "second_filter");
    assert.equal(one.status, 0, one.stderr);
    const shown = JSON.parse(bpftool("-j", "prog", "show", "pinned", `${dir.path}/p`)) as { type: string; name: string };
    assert.equal(shown.type, "socket_filter");
    assert.equal(shown.name, "second_filter");

    const all = tsbpf("prog", "loadall", OBJ, `${dir.path}/all`, "type", "socket", "pinmaps", `${dir.path}/maps`);
    assert.equal(all.status, 0, all.stderr);
    assert.deepEqual(readdirSync(`${dir.path}/all`).sort(), ["first_filter", "second_filter"]);
    assert.deepEqual(readdirSync(`${dir.path}/maps`), ["seen"]);
    // The same pins as bpftool's own `prog loadall … type socket`.
    bpftool("prog", "loadall", OBJ, `${dir.path}/bpftool`, "type", "socket");
    assert.deepEqual(readdirSync(`${dir.path}/bpftool`).sort(), readdirSync(`${dir.path}/all`).sort());
  } finally {
    dir.cleanup();
  }
});

test("library advice that names an API (spec.maps…) is reworded for the command line", () => {
  const dir = bpffsTempDir("tsbpf-cli-unsized-");
  try {
    const r = tsbpf("prog", "load", UNSIZED_OBJ, `${dir.path}/p`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /map 'sized_later' has max_entries 0: .* which `prog load` cannot do/);
    assert.doesNotMatch(r.stderr, /spec\.maps|setType/);
    assert.deepEqual(readdirSync(dir.path), []);
  } finally {
    dir.cleanup();
  }
});

test("bpffs unmounted (private mount namespace): map create and map pin mount it as bpftool does", () => {
  const r = inPrivateMountNamespace(
    `umount /sys/fs/bpf && "${process.execPath}" "${CLI}" map create /sys/fs/bpf/m type hash key 4 value 4 entries 1 name m && ` +
      `"${process.execPath}" "${CLI}" map pin pinned /sys/fs/bpf/m /sys/fs/bpf/m2 && ls /sys/fs/bpf | grep -x 'm2*'`,
  );
  assert.equal(r.signal, null, "returned (did not hang)");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["m", "m2"]);
});

test("bpffs unmounted (private mount namespace): loadall mounts it at /sys/fs/bpf and pins", () => {
  const r = inPrivateMountNamespace(
    `umount /sys/fs/bpf && "${process.execPath}" "${CLI}" prog loadall "${OBJ}" /sys/fs/bpf/tsbpf-fresh/progs type socket && ` +
      "ls /sys/fs/bpf/tsbpf-fresh/progs && grep -c ' /sys/fs/bpf bpf ' /proc/self/mounts",
  );
  assert.equal(r.signal, null, "returned (did not hang)");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["first_filter", "second_filter", "1"]);
});

test("bpffs unmounted and no CAP_SYS_ADMIN to mount it: loadall returns at once with the reason", () => {
  const r = inPrivateMountNamespace(
    "umount /sys/fs/bpf && setpriv --inh-caps -sys_admin --bounding-set -sys_admin " +
      `"${process.execPath}" "${CLI}" prog loadall "${OBJ}" /sys/fs/bpf/tsbpf-fresh/progs type socket; echo "exit $?"; ls /sys/fs/bpf`,
  );
  assert.equal(r.signal, null, "returned (did not hang)");
  assert.match(r.stderr, /bpffs is not mounted at \/sys\/fs\/bpf, and this process may not mount it \(it needs CAP_SYS_ADMIN\): mount it with `mount -t bpf bpf \/sys\/fs\/bpf`/);
  assert.match(r.stdout, /^exit 1$/m);
  assert.doesNotMatch(r.stdout, /tsbpf-fresh/, "nothing was made on sysfs");
});

test("a pin path outside bpffs is refused with the file system it is on, and nothing is made there", () => {
  const target = `/tmp/tsbpf-not-bpffs-${randomBytes(4).toString("hex")}`;
  const r = tsbpf("prog", "loadall", OBJ, target, "type", "socket");
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${target} is not on a bpffs mount \\(/tmp is on \\w+\\)`));
  assert.doesNotMatch(r.stderr, /LSM/);
  assert.ok(!existsSync(target));
  const one = tsbpf("prog", "load", OBJ, `${target}/p`, "type", "socket");
  assert.equal(one.status, 1);
  assert.match(one.stderr, /is not on a bpffs mount/);
});

test("a pin name bpffs refuses ('.') gets that reason, not an LSM; taken names are refused", () => {
  const dir = bpffsTempDir("tsbpf-cli-dot-");
  try {
    const r = tsbpf("prog", "load", OBJ, `${dir.path}/with.dot`, "type", "socket");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bpffs refuses names containing '\.' \(with\.dot\)/);
    assert.doesNotMatch(r.stderr, /LSM/);
    assert.deepEqual(readdirSync(dir.path), [], "no pin and no staging leftover");
    // A loadall directory with a '.' is refused before anything loads (bpffs would refuse it only at commit).
    const all = tsbpf("prog", "loadall", OBJ, `${dir.path}/dir.dot`, "type", "socket");
    assert.equal(all.status, 1);
    assert.match(all.stderr, /bpffs refuses names containing '\.' \(dir\.dot\)/);
    assert.deepEqual(readdirSync(dir.path), []);
    // A loadall PATH that is a pin, and a load PATH already pinned: refused, bpftool's EEXIST.
    assert.equal(tsbpf("prog", "load", OBJ, `${dir.path}/p`, "type", "socket").status, 0);
    assert.match(tsbpf("prog", "loadall", OBJ, `${dir.path}/p`, "type", "socket").stderr, /exists and is not a directory/);
    assert.match(tsbpf("prog", "load", OBJ, `${dir.path}/p`, "type", "socket").stderr, /already pinned: .*\/p/);
    assert.deepEqual(readdirSync(dir.path), ["p"]);
  } finally {
    dir.cleanup();
  }
});

test("directories made for pins are 0700 under umask 0, as libbpf makes them", () => {
  const dir = bpffsTempDir("tsbpf-cli-umask-");
  try {
    const r = spawnSync("sh", ["-c", `umask 0; exec "${process.execPath}" "${CLI}" prog loadall "${OBJ}" "${dir.path}/a/b" type socket pinmaps "${dir.path}/m/n"`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    for (const d of ["a", "a/b", "m", "m/n"]) assert.equal(statSync(`${dir.path}/${d}`).mode & 0o777, 0o700, d);
  } finally {
    dir.cleanup();
  }
});

test("tracefs unmounted in a private mount namespace: opensnoop (npm start) mounts it and traces", { timeout: 30_000 }, async () => {
  const path = `/tmp/tsbpf-tracefs-${randomBytes(6).toString("hex")}`;
  const child = spawn("unshare", ["-m", "sh", "-c", `umount /sys/kernel/tracing && exec "${process.execPath}" "${OPENSNOOP}" -d 3`], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  const ready = new Promise<void>((resolve) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (/^Tracing open calls/m.test(stderr)) resolve();
    });
    child.on("close", () => resolve());
  });
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  await ready;
  closeSync(openSync(path, "w"));
  const code = await done;
  rmSync(path, { force: true });
  assert.equal(code, 0, stderr);
  assert.ok(stdout.split("\n").some((l) => l.startsWith(`${process.pid} `) && l.endsWith(` ${path}`)), `a line for ${path} in:\n${stdout.slice(0, 2000)}`);
});
