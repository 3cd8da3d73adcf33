// libbpf as the oracle of what a loader should send the kernel: an object is
// loaded by `bpftool prog loadall` (pinned in a bpffs directory) and by tsbpf,
// and each program is reduced to its tag and its `prog dump xlated` text with
// map ids replaced by map names, so the two loads compare line for line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { openPinnedFd } from "../../src/sys/objects.js";
import type { FD } from "../../src/sys/fd.js";
import { readProgramInfo } from "../../src/program/info.js";
import { mapInfoById } from "../../src/map/info.js";
import { dumpLoadedProgram } from "../../src/program/xlated-dump.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection, type CollectionLoadOptions } from "../../src/collection.js";
import { haveUprobeMultiLink } from "../../src/features/index.js";
import { bpffsTempDir, haveBpftool } from "./kernel.js";

/** What one loader produced for one program: its tag and its dump with map ids named. */
export interface LoadedProgram {
  tag: string;
  dump: string;
}

/**
 * libbpf names global-data maps "<object name prefix>.<section>" (the object
 * name comes from the file name); the data section is what identifies them.
 */
function canonicalMapName(name: string): string {
  const dot = name.indexOf(".");
  return dot > 0 ? name.slice(dot) : name;
}

/** Tag and xlated dump of a loaded program, `map[id:N]` replaced by the map's name. */
export function describeLoadedProgram(fd: FD): LoadedProgram {
  const info = readProgramInfo(fd);
  const names = new Map(info.mapIds.map((id) => [id, canonicalMapName(mapInfoById(id).name)]));
  const dump = dumpLoadedProgram(fd).replace(/map\[id:(\d+)\]/g, (_, id: string) => `map[${names.get(Number(id)) ?? `unknown id ${id}`}]`);
  return { tag: info.tag, dump };
}

let oracleLibbpf: [number, number] | undefined;

/** The version of the libbpf bpftool is built with ("using libbpf v1.1"). */
function oracleLibbpfVersion(): [number, number] {
  if (!oracleLibbpf) {
    const m = /libbpf v(\d+)\.(\d+)/.exec(execFileSync("bpftool", ["version"], { encoding: "utf8" }));
    oracleLibbpf = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  }
  return oracleLibbpf;
}

/** libbpf 1.3 loads SEC("usdt") programs for uprobe_multi links where the kernel has them (as tsbpf does); older ones never. */
function oracleLoadsUsdtForUprobeMulti(): boolean {
  const [major, minor] = oracleLibbpfVersion();
  return (major > 1 || (major === 1 && minor >= 3)) && haveUprobeMultiLink();
}

/** Runs bpftool prog loadall; undefined on success, else its error lines (without the strict-mode note every failure ends with). */
function loadall(file: string, dir: string): string[] | undefined {
  try {
    execFileSync("bpftool", ["prog", "loadall", file, dir], { stdio: ["ignore", "pipe", "pipe"] });
    return undefined;
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    return stderr.split("\n").filter((l) => l.trim() !== "" && !/strict mode|--legacy option/.test(l));
  }
}

/** bpftool prog loadall into `dir` (which must not exist yet); the pinned programs by name, or libbpf's last error lines. */
export function loadWithLibbpf(file: string, dir: string): Map<string, LoadedProgram> | string {
  const failure = loadall(file, dir);
  if (failure) return failure.slice(-2).join(" | ");
  const out = new Map<string, LoadedProgram>();
  for (const name of readdirSync(dir)) {
    const fd = openPinnedFd(path.join(dir, name), "rw", "program");
    try {
      out.set(name, describeLoadedProgram(fd));
    } finally {
      fd.close();
    }
  }
  return out;
}

/** The first line where two dumps differ, for the report. */
export function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: libbpf '${la[i] ?? "<end>"}' vs tsbpf '${lb[i] ?? "<end>"}'`;
  }
  return "dumps equal";
}

/**
 * Loads `file` with libbpf (bpftool prog loadall) and with tsbpf
 * (Collection.load) and asserts both load exactly `programs`, each with the
 * same tag and xlated dump. The missing oracle is a failure, not a skip.
 */
export function assertLoadsLikeLibbpf(file: string, programs: readonly string[], options: CollectionLoadOptions = {}): void {
  assert.ok(haveBpftool(), "bpftool (the libbpf oracle) is not installed");
  const pins = bpffsTempDir("tsbpf-libbpf-oracle-");
  try {
    const theirs = loadWithLibbpf(file, path.join(pins.path, "progs"));
    assert.ok(typeof theirs !== "string", `libbpf refused ${file}: ${String(theirs)}`);
    const spec = loadObjectSpec(file);
    // An older oracle libbpf loads USDT programs for a uprobe per site; ask tsbpf for the same (the attach type changes the helpers' calls).
    if (!oracleLoadsUsdtForUprobeMulti()) for (const p of spec.programs.values()) p.usdtUprobeMulti = false;
    using c = Collection.load(spec, options);
    assert.deepEqual([...theirs.keys()].sort(), [...programs].sort(), "programs libbpf loaded");
    assert.deepEqual([...c.programs.keys()].sort(), [...programs].sort(), "programs tsbpf loaded");
    for (const [name, p] of theirs) {
      const q = describeLoadedProgram(c.program(name).fd);
      assert.equal(q.tag, p.tag, `${name}: tags differ; ${firstDifference(p.dump, q.dump)}`);
      assert.equal(q.dump, p.dump, `${name}: xlated dumps differ`);
    }
  } finally {
    pins.cleanup();
  }
}

/** libbpf's refusal of `file` (its error output); fails the test if libbpf loads it. */
export function libbpfRefusal(file: string): string {
  assert.ok(haveBpftool(), "bpftool (the libbpf oracle) is not installed");
  const pins = bpffsTempDir("tsbpf-libbpf-oracle-");
  try {
    const failure = loadall(file, path.join(pins.path, "progs"));
    assert.ok(failure, `libbpf loaded ${file}`);
    return failure.join("\n");
  } finally {
    pins.cleanup();
  }
}
