// Pins that must not go wrong: a LIBBPF_PIN_BY_NAME name cannot leave the
// pin directory, refused pin and open paths say why (a directory, not bpffs,
// a '.'), pin directories are 0700 whatever the umask, and a load killed
// midway (SIGKILL during `prog loadall … pinmaps` or a pinning Collection.load)
// leaves all of its pins or none, and a second run proceeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setImmediate as turn } from "node:timers/promises";
import { Collection } from "../../src/collection.js";
import { BpfMap } from "../../src/map.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { PIN_STAGING_PREFIXES } from "../../src/sys/pin-staging.js";
import { CLI, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";

const SOCKET_OBJ = fileURLToPath(new URL("../../../test/fixtures/cli/socket-sections.bpf.o", import.meta.url));
const MAPS_OBJ = fileURLToPath(new URL("../../../test/fixtures/collection/maps.bpf.o", import.meta.url));
const INDEX = new URL("../../src/index.js", import.meta.url).href;

const leftovers = (dir: string): string[] => readdirSync(dir).filter((e) => PIN_STAGING_PREFIXES.some((p) => e.startsWith(p)));

/**
 * Kills `child` with SIGKILL as soon as a staging directory appears in `dir`;
 * false when the child ended first, or when `finished()` says its work is done
 * (a child that stays alive after loading would otherwise be waited on forever).
 */
async function killWhenStaging(child: ChildProcess, dir: string, finished: () => boolean = () => false): Promise<boolean> {
  let exited = false;
  child.on("exit", () => (exited = true));
  while (!exited && !finished()) {
    if (readdirSync(dir).some((e) => e.startsWith(PIN_STAGING_PREFIXES[0]))) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
      return true;
    }
    await turn();
  }
  return false;
}

test("a LIBBPF_PIN_BY_NAME map named '../x' is refused: nothing is pinned or opened outside pinPath", () => {
  const dir = bpffsTempDir("tsbpf-pin-escape-");
  try {
    for (const name of ["../escaped", "sub/x", "with.dot", ""]) {
      const spec = loadObjectSpec(MAPS_OBJ);
      spec.map("shared").name = name;
      assert.throws(() => Collection.load(spec, { pinPath: `${dir.path}/inner` }),
        (e: unknown) => e instanceof InvalidArgumentError && /cannot be pinned by name/.test(e.message), name);
    }
    assert.ok(!existsSync(`${dir.path}/escaped`));
    assert.deepEqual(readdirSync(dir.path), [], "no pin, no directory, no staging leftover");
  } finally {
    dir.cleanup();
  }
});

test("EACCES/EPERM on pin paths say why: a directory, not on bpffs, a '.' in the name — not an LSM", () => {
  const dir = bpffsTempDir("tsbpf-pin-reasons-");
  using map = BpfMap.create({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: "reasons" });
  try {
    const reason = (fn: () => unknown, re: RegExp): void => {
      assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message) && !/LSM/.test(e.message));
    };
    reason(() => BpfMap.openPinned(dir.path), /EACCES: .* is a directory, not a pin/);
    reason(() => BpfMap.openPinned("/etc/hostname"), /EACCES: \/etc\/hostname is not on a bpffs mount \(\/etc\/hostname is on \w+\)/);
    reason(() => map.pin(`${dir.path}/a.b`), /EPERM: bpffs refuses names containing '\.' \(a\.b\)/);
    reason(() => map.pin("/tmp/tsbpf-not-bpffs-pin"), /EPERM: \/tmp is not on a bpffs mount/);
  } finally {
    dir.cleanup();
  }
});

test("Collection.load makes its pin directory 0700 under umask 0", () => {
  const dir = bpffsTempDir("tsbpf-pin-umask-");
  const old = process.umask(0);
  try {
    using c = Collection.load(loadObjectSpec(MAPS_OBJ), { pinPath: `${dir.path}/a/b` });
    for (const d of ["a", "a/b"]) assert.equal(statSync(`${dir.path}/${d}`).mode & 0o777, 0o700, d);
    assert.equal(c.map("shared").pinnedPath, `${dir.path}/a/b/shared`);
    assert.deepEqual(leftovers(dir.path), []);
  } finally {
    process.umask(old);
    dir.cleanup();
  }
});

test("prog loadall … pinmaps killed midway pins nothing; the second run proceeds and pins everything", async () => {
  const dir = bpffsTempDir("tsbpf-pin-kill-cli-");
  try {
    const args = ["prog", "loadall", SOCKET_OBJ, `${dir.path}/progs`, "type", "socket", "pinmaps", `${dir.path}/maps`];
    let killed = false;
    for (let attempt = 0; attempt < 20 && !killed; attempt++) {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
      killed = await killWhenStaging(child, dir.path);
      // It finished before we saw it: start over.
      if (!killed) for (const d of ["progs", "maps"]) rmSync(`${dir.path}/${d}`, { recursive: true, force: true });
    }
    assert.ok(killed, "the load was killed while its pins were staged");
    assert.ok(!existsSync(`${dir.path}/progs`) && !existsSync(`${dir.path}/maps`), "nothing was pinned");
    assert.equal(leftovers(dir.path).length, 1, "the killed load's staging directory is left");

    const again = tsbpf(...args);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readdirSync(`${dir.path}/progs`).sort(), ["first_filter", "second_filter"]);
    assert.deepEqual(readdirSync(`${dir.path}/maps`), ["seen"]);
    assert.deepEqual(leftovers(dir.path), [], "the dead load's staging directory was removed");
  } finally {
    dir.cleanup();
  }
});

test("loadall killed at arbitrary moments: afterwards everything or nothing, and the next run proceeds", async () => {
  const dir = bpffsTempDir("tsbpf-pin-kill-any-");
  try {
    const args = ["prog", "loadall", SOCKET_OBJ, `${dir.path}/progs`, "type", "socket", "pinmaps", `${dir.path}/maps`];
    for (let i = 0; i < 8; i++) {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
      // Let it run for a varying number of event-loop turns of ours, then kill it wherever it is.
      for (let t = 0; t < i * 40; t++) await turn();
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
      const listing = (d: string): string[] => (existsSync(`${dir.path}/${d}`) ? readdirSync(`${dir.path}/${d}`).sort() : []);
      const pinned = [...listing("progs"), ...listing("maps")];
      const committing = readdirSync(dir.path).some((e) => e.startsWith(PIN_STAGING_PREFIXES[1]));
      assert.ok(committing || pinned.length === 0 || pinned.length === 3, `run ${i}: all or nothing (or a commit to finish), got ${pinned.join(", ")}`);
      // The next run recovers what the killed one left: it either finds all
      // pins (the kill came after the commit point) or proceeds from nothing.
      const next = tsbpf(...args);
      const progs = existsSync(`${dir.path}/progs`) ? readdirSync(`${dir.path}/progs`).sort() : [];
      const maps = existsSync(`${dir.path}/maps`) ? readdirSync(`${dir.path}/maps`) : [];
      assert.deepEqual(progs, ["first_filter", "second_filter"], `run ${i}: ${next.stderr}`);
      assert.deepEqual(maps, ["seen"]);
      if (next.status !== 0) assert.match(next.stderr, /already pinned/);
      assert.deepEqual(leftovers(dir.path), []);
      for (const d of ["progs", "maps"]) rmSync(`${dir.path}/${d}`, { recursive: true, force: true });
    }
  } finally {
    dir.cleanup();
  }
});

test("a pinning Collection.load killed midway leaves no pin; the next load creates and pins the map", async () => {
  const dir = bpffsTempDir("tsbpf-pin-kill-lib-");
  try {
    const script = `import { Collection, loadObjectSpec } from ${JSON.stringify(INDEX)};
Collection.load(loadObjectSpec(${JSON.stringify(MAPS_OBJ)}), { pinPath: ${JSON.stringify(dir.path)} });
setInterval(() => {}, 1000);`;
    let killed = false;
    for (let attempt = 0; attempt < 20 && !killed; attempt++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
      // The child stays alive after its load (setInterval): its pin appearing means we missed the staging.
      killed = await killWhenStaging(child, dir.path, () => existsSync(`${dir.path}/shared`));
      if (!killed) child.kill("SIGKILL");
      // It finished before we saw it: remove its pin and start over.
      if (!killed) rmSync(`${dir.path}/shared`, { force: true });
    }
    assert.ok(killed, "the load was killed while its pins were staged");
    assert.ok(!existsSync(`${dir.path}/shared`), "nothing was pinned");
    assert.equal(leftovers(dir.path).length, 1);

    using c = Collection.load(loadObjectSpec(MAPS_OBJ), { pinPath: dir.path });
    assert.equal(c.map("shared").pinnedPath, `${dir.path}/shared`);
    assert.ok(existsSync(`${dir.path}/shared`));
    assert.deepEqual(leftovers(dir.path), [], "the dead load's staging directory was removed");
  } finally {
    dir.cleanup();
  }
});

test("a commit interrupted by a kill is finished by the next load: its pins all appear", () => {
  const dir = bpffsTempDir("tsbpf-pin-rollforward-");
  using map = BpfMap.create({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: "rolled" });
  try {
    // What a load killed right after its commit point leaves: tsbpf_commit_<dead pid>_<token>/g0 and its g0_to link.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const committed = `${dir.path}/${PIN_STAGING_PREFIXES[1]}_${dead}_0123abcd`;
    mkdirSync(`${committed}/g0`, { recursive: true, mode: 0o700 });
    symlinkSync(`${dir.path}/target`, `${committed}/g0_to`);
    map.pin(`${committed}/g0/rolled`);
    // Any load pinning near it recovers it.
    const r = tsbpf("prog", "loadall", SOCKET_OBJ, `${dir.path}/progs`, "type", "socket");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(BpfMap.openPinned(`${dir.path}/target/rolled`).info().id, map.info().id, "the interrupted commit was finished");
    assert.deepEqual(leftovers(dir.path), []);
  } finally {
    dir.cleanup();
  }
});

test("Collection.load finishes an interrupted commit before deciding to reuse a pin-by-name map", () => {
  const dir = bpffsTempDir("tsbpf-pin-reuse-");
  try {
    // A 'shared' map as the killed load created it, left in its commit directory.
    const first = Collection.load(loadObjectSpec(MAPS_OBJ), { pinPath: `${dir.path}/first` });
    const id = first.map("shared").info().id;
    first.close();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const committed = `${dir.path}/${PIN_STAGING_PREFIXES[1]}_${dead}_0123abcd`;
    mkdirSync(`${committed}/g0`, { recursive: true, mode: 0o700 });
    symlinkSync(`${dir.path}/pins`, `${committed}/g0_to`);
    renameSync(`${dir.path}/first/shared`, `${committed}/g0/shared`);
    using c = Collection.load(loadObjectSpec(MAPS_OBJ), { pinPath: `${dir.path}/pins` });
    assert.equal(c.map("shared").info().id, id, "the map of the interrupted load is reused");
    assert.deepEqual(leftovers(dir.path), []);
  } finally {
    dir.cleanup();
  }
});
