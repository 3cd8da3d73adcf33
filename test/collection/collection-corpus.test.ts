// The CO-RE loader's proof on real-world objects: every BPF object embedded in
// Debian's libbpf-tools is loaded by libbpf (`bpftool prog loadall`, pinned in
// a private bpffs directory) and by tsbpf (Collection.load). Neither side sizes
// maps (bpftool cannot), so objects with max_entries 0 maps must be refused by
// both. Where libbpf loads an object, tsbpf must load it too, and every
// program must get the same tag and the same `prog dump xlated` text once map
// ids are replaced by map names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { BpfError, InvalidArgumentError } from "../../src/sys/errors.js";
import { MapType } from "../../src/map/types.js";
import { writeToolObject, libbpfTools } from "../util/libbpf-tools.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { missingOracle, requireOracle } from "../util/environment.js";
import { describeLoadedProgram, firstDifference, loadWithLibbpf, type LoadedProgram } from "../util/libbpf-oracle.js";

/** Collection.load; the loaded programs by name, or the typed error it threw. */
function loadWithTsbpf(file: string): Map<string, LoadedProgram> | BpfError {
  let c: Collection;
  try {
    c = Collection.load(loadObjectSpec(file));
  } catch (e) {
    // Anything but a typed BpfError is a crash: let it fail the test.
    if (e instanceof BpfError) return e;
    throw e;
  }
  try {
    return new Map([...c.programs].map(([name, p]) => [name, describeLoadedProgram(p.fd)]));
  } finally {
    c.close();
  }
}

/** The map libbpf refuses to create unsized (max_entries 0, other than perf event arrays it sizes itself), if any. */
function unsizedMap(file: string): string | undefined {
  for (const [key, m] of loadObjectSpec(file).maps) {
    if (m.maxEntries === 0 && m.type !== MapType.PerfEventArray) return key;
  }
  return undefined;
}

test("libbpf-tools objects: tsbpf loads what libbpf loads, with identical tags and xlated dumps", { timeout: 120_000 }, (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const tools = libbpfTools();
  if (tools.length === 0) return missingOracle(t, "libbpf-tools");
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-collection-corpus-"));
  const pins = bpffsTempDir("tsbpf-collection-corpus-");
  const fdsBefore = openFdCount();
  let loadedByBoth = 0;
  let programsEqual = 0;
  const refusedByBoth: string[] = [];
  const disagreements: string[] = [];
  try {
    for (const tool of tools) {
      const file = writeToolObject(tool, objDir);
      if (!file) continue;
      const dir = path.join(pins.path, tool);
      const theirs = loadWithLibbpf(file, dir);
      let mine: Map<string, LoadedProgram> | BpfError;
      try {
        mine = loadWithTsbpf(file);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const unsized = unsizedMap(file);
      if (unsized !== undefined) {
        // Neither side sizes maps here, so both must refuse, and tsbpf must say which map and why.
        assert.equal(typeof theirs, "string", `${tool}: libbpf loaded an object with an unsized map '${unsized}'`);
        assert.ok(mine instanceof InvalidArgumentError, `${tool}: expected InvalidArgumentError for map '${unsized}', got ${String(mine)}`);
        assert.match(mine.message, new RegExp(`map '${unsized.replace(/\./g, "\\.")}' has max_entries 0`));
      }
      if (typeof theirs === "string") {
        if (mine instanceof BpfError) {
          // A person must understand why: the message names the problem, not just an errno.
          assert.ok(mine.message.length > 20, `${tool}: tsbpf's refusal is too terse: ${mine.message}`);
          refusedByBoth.push(`${tool}: ${mine.code}: ${mine.message.split("\n")[0]}`);
        } else disagreements.push(`${tool}: libbpf refused (${theirs}) but tsbpf loaded it`);
        continue;
      }
      if (mine instanceof BpfError) {
        disagreements.push(`${tool}: libbpf loaded it but tsbpf refused: ${mine.code}: ${mine.message.split("\n")[0]}`);
        continue;
      }
      loadedByBoth++;
      const theirNames = [...theirs.keys()].sort();
      const myNames = [...mine.keys()].sort();
      if (theirNames.join() !== myNames.join()) disagreements.push(`${tool}: programs differ: libbpf [${theirNames.join(", ")}] tsbpf [${myNames.join(", ")}]`);
      for (const [name, p] of theirs) {
        const q = mine.get(name);
        if (!q) continue;
        if (p.tag === q.tag && p.dump === q.dump) programsEqual++;
        else disagreements.push(`${tool}/${name}: tag ${p.tag} vs ${q.tag}; ${firstDifference(p.dump, q.dump)}`);
      }
    }
  } finally {
    pins.cleanup();
    rmSync(objDir, { recursive: true, force: true });
  }
  t.diagnostic(`objects loaded by both: ${loadedByBoth}; programs compared equal: ${programsEqual}; refused by both: ${refusedByBoth.length}; disagreements: ${disagreements.length}`);
  for (const r of refusedByBoth) t.diagnostic(`refused by both — ${r}`);
  for (const d of disagreements) t.diagnostic(`DISAGREEMENT — ${d}`);
  assert.equal(openFdCount(), fdsBefore, "no fd leaked");
  assert.ok(loadedByBoth > 0, "libbpf loaded at least one object");
  assert.deepEqual(disagreements, []);
});
