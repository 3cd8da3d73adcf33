// All-or-nothing pinning. A load that pins several objects (`prog loadall …
// pinmaps`, a Collection with LIBBPF_PIN_BY_NAME maps) and is killed midway
// must not leave half of its pins behind, so pins are first made in a staging
// directory on the same bpffs and moved into place only when all of them exist.
//
// Layout: <anchor>/tsbpf_staging_<pid>_<token>/ holds one directory g<k> per
// destination directory D_k plus a symlink g<k>_to whose target is D_k (bpffs
// keeps symlinks, not files). The anchor is the deepest existing directory
// that contains every destination (or its parent when the destination does
// not exist yet), so every rename stays inside one bpffs mount.
//
// Commit: (1) refuse if a destination name is already taken; (2) rename the
// staging directory to tsbpf_commit_<pid>_<token> — the commit point; (3)
// move each g<k> into place: one rename of the whole directory when D_k does
// not exist yet, else one rename (RENAME_NOREPLACE) per pin.
//
// Guarantee: a process killed before (2) leaves only a staging directory,
// which the next load with an overlapping destination removes (its pid is
// dead): nothing was pinned. Killed after (2), the next such load finishes
// the moves: everything was pinned. Leftovers of live processes are ignored.
// Readers see a new destination directory appear at once with all its pins;
// pins added to an existing directory appear one by one within step (3).
import { lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import path from "node:path";
import { cString } from "./cstring.js";
import { EEXIST, errnoName } from "./errno.js";
import { InvalidArgumentError, PinExistsError, SyscallError } from "./errors.js";
import { randomHex } from "./lazy-builtins.js";
import { ensureBpffsDir, requireBpffs } from "./filesystems.js";
import { rawSyscall, SYS } from "./syscall.js";

const STAGING = "tsbpf_staging";
const COMMIT = "tsbpf_commit";
const LEFTOVER = new RegExp(`^(${STAGING}|${COMMIT})_(\\d+)_[0-9a-f]+$`);
const AT_FDCWD = -100;
const RENAME_NOREPLACE = 1;
const ENOTEMPTY = 39;

/** One staged pin: where it is now, where it goes, and who to tell when it got there. */
interface StagedPin {
  readonly group: number;
  readonly name: string;
  readonly onCommitted: ((finalPath: string) => void) | undefined;
}

/** rename(2) that never replaces an existing destination; 0 or -errno. */
function renameNoReplace(from: string, to: string): number {
  return rawSyscall(SYS.renameat2, AT_FDCWD, cString(from), AT_FDCWD, cString(to), RENAME_NOREPLACE);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The deepest directory containing every path of `dirs` (absolute paths). */
function commonAncestor(dirs: readonly string[]): string {
  const parts = dirs.map((d) => d.split("/"));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0]![i]); i++) out.push(parts[0]![i]!);
  return out.join("/") || "/";
}

/** Removes a staging tree: pins (unlinked), group directories, symlinks, the root. Missing parts are fine. */
function removeTree(root: string): void {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(root, e);
    if (lstatSync(p).isDirectory()) removeTree(p);
    else unlinkSync(p);
  }
  rmdirSync(root);
}

/**
 * Moves the groups of a committed staging directory into place and removes
 * it. Names taken meanwhile by someone else are reported, their staged pins
 * dropped (the objects live on through this process's fds).
 */
function finishCommit(root: string): string[] {
  const conflicts: string[] = [];
  for (const e of readdirSync(root)) {
    if (!/^g\d+$/.test(e)) continue;
    const from = path.join(root, e);
    const link = `${from}_to`;
    const dest = readlinkSync(link);
    if (readdirSync(from).length > 0) {
      const r = renameNoReplace(from, dest);
      if (r !== 0 && r !== -EEXIST && r !== -ENOTEMPTY) throw new SyscallError(`cannot move pins into ${dest}: ${errnoName(-r)}`, { operation: "rename", errno: -r });
      if (r !== 0) {
        for (const name of readdirSync(from)) {
          const one = renameNoReplace(path.join(from, name), path.join(dest, name));
          if (one === 0) continue;
          conflicts.push(path.join(dest, name));
          unlinkSync(path.join(from, name));
        }
      }
    }
    if (exists(from)) rmdirSync(from);
    unlinkSync(link);
  }
  rmdirSync(root);
  return conflicts;
}

/**
 * Deals with what killed loads left in `dir`: staging directories of dead
 * processes are removed (their pins never counted), commit directories of
 * dead processes are finished (their pins all count).
 */
function recoverLeftovers(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = LEFTOVER.exec(e);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      if (m[1] === STAGING) removeTree(path.join(dir, e));
      else finishCommit(path.join(dir, e));
    } catch {
      // Another load is recovering the same leftover; whatever it leaves is ignored.
    }
  }
}

/** A set of pins that appear together at commit() or not at all. */
export class PinStaging {
  readonly #destinations: string[];
  readonly #root: string;
  readonly #anchor: string;
  readonly #token = randomHex(6);
  readonly #pins: StagedPin[] = [];
  #done = false;

  /**
   * Prepares staging for pins into the directories `destinations` (made on
   * commit when missing; their parents are made now, 0700, and must be on
   * bpffs). Leftovers of killed loads near them are recovered first.
   */
  constructor(destinations: readonly string[]) {
    this.#destinations = [...new Set(destinations.map((d) => path.resolve(d)))];
    const homes = this.#destinations.map((d) => {
      requireBpffs(d);
      if (exists(d)) {
        if (!statSync(d).isDirectory()) throw new InvalidArgumentError(`${d} exists and is not a directory`, "path");
        return d;
      }
      // Made by the commit's rename, after the commit point: refuse now what bpffs would refuse then.
      if (path.basename(d).includes(".")) throw new InvalidArgumentError(`${d}: bpffs refuses names containing '.' (${path.basename(d)})`, "path");
      ensureBpffsDir(path.dirname(d));
      return path.dirname(d);
    });
    this.#anchor = commonAncestor(homes);
    const dev = statSync(this.#anchor).dev;
    const elsewhere = homes.find((h) => statSync(h).dev !== dev);
    if (elsewhere !== undefined) {
      throw new InvalidArgumentError(`pins into ${this.#destinations.join(" and ")} cannot be made all at once: ${elsewhere} is on another bpffs mount than ${this.#anchor}`, "path");
    }
    for (const d of new Set([this.#anchor, ...homes, ...this.#destinations])) recoverLeftovers(d);
    this.#root = path.join(this.#anchor, `${STAGING}_${process.pid}_${this.#token}`);
    mkdirSync(this.#root, { mode: 0o700 });
    try {
      this.#destinations.forEach((d, k) => {
        mkdirSync(path.join(this.#root, `g${k}`), { mode: 0o700 });
        symlinkSync(d, path.join(this.#root, `g${k}_to`));
      });
    } catch (e) {
      removeTree(this.#root);
      throw e;
    }
  }

  /**
   * Where to pin now the object that belongs at `finalPath` (whose directory
   * must be one of the destinations). `onCommitted` is called with
   * `finalPath` once the pin is there.
   */
  stage(finalPath: string, onCommitted?: (finalPath: string) => void): string {
    const abs = path.resolve(finalPath);
    const group = this.#destinations.indexOf(path.dirname(abs));
    if (group < 0) throw new InvalidArgumentError(`${finalPath} is not in a staged pin directory (${this.#destinations.join(", ")})`, "path");
    this.#pins.push({ group, name: path.basename(abs), onCommitted });
    return path.join(this.#root, `g${group}`, path.basename(abs));
  }

  /** Number of pins staged so far. */
  get size(): number {
    return this.#pins.length;
  }

  /**
   * Moves every staged pin into place. A name that is already taken is a
   * PinExistsError before anything moves (the staged pins are then removed).
   */
  commit(): void {
    if (this.#done) throw new InvalidArgumentError("the pin staging is already committed or aborted", "staging");
    const taken = this.#pins.map((p) => path.join(this.#destinations[p.group]!, p.name)).filter(exists);
    if (taken.length > 0) {
      this.abort();
      throw new PinExistsError(`already pinned: ${taken.join(", ")} (remove the pins first)`, taken[0], { operation: "pin", errno: EEXIST });
    }
    this.#done = true;
    const committed = path.join(this.#anchor, `${COMMIT}_${process.pid}_${this.#token}`);
    renameSync(this.#root, committed);
    const conflicts = finishCommit(committed);
    for (const p of this.#pins) {
      const final = path.join(this.#destinations[p.group]!, p.name);
      if (!conflicts.includes(final)) p.onCommitted?.(final);
    }
    if (conflicts.length > 0) {
      throw new PinExistsError(`pinned by someone else meanwhile: ${conflicts.join(", ")}`, conflicts[0], { operation: "pin", errno: EEXIST });
    }
  }

  /** Removes every staged pin (the objects live on through their fds). Idempotent; a no-op after commit. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      removeTree(this.#root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}

/** The name prefixes of staging leftovers (for tools and tests that look for them). */
export const PIN_STAGING_PREFIXES = [STAGING, COMMIT] as const;
