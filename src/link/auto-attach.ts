// Auto-attach, as libbpf's skeleton `__attach`: every program whose SEC()
// name fully describes its target is attached by its family's attach
// function (which reads the target from the same SEC() name); the others are
// skipped with the reason and the call that attaches them. All or nothing: if
// one attach fails, the links made so far are closed before the error.
import type { Program } from "../program/program.js";
import { BpfError } from "../sys/errors.js";
import { Link, LinkGroup } from "./link.js";
import { autoAttachFamilies, manualAttachReason } from "./auto-attach-table.js";

/** A program Collection.attach() left alone, and why. */
export interface SkippedProgram {
  program: string;
  reason: string;
}

/** What Collection.attach() made: the links (closing the group detaches them all), by program, and what it skipped. */
export class AutoAttachment extends LinkGroup {
  /** The link of each attached program (or struct_ops map), by its C name. */
  readonly byName: ReadonlyMap<string, Link>;
  readonly skipped: readonly SkippedProgram[];

  /** @internal Built by autoAttach. */
  constructor(byName: ReadonlyMap<string, Link>, skipped: readonly SkippedProgram[]) {
    super([...byName.values()]);
    this.byName = byName;
    this.skipped = skipped;
  }
}

/** Options of Collection.attach(). */
export interface AutoAttachOptions {
  /** Programs (C names) to leave unattached, as libbpf's bpf_program__set_autoattach(prog, false). */
  skip?: readonly string[];
}

/** The error of the program whose attach failed, naming it (the original error stays as `cause`). */
function attachFailed(name: string, e: unknown): unknown {
  if (!(e instanceof BpfError)) return e;
  e.message = `auto-attach of program '${name}': ${e.message}`;
  return e;
}

/**
 * Attaches every program of `programs` whose SEC() name names its target, in
 * order, and the struct_ops maps given by `structOps` (name → register). See
 * Collection.attach for the user-facing contract.
 */
export function autoAttach(
  programs: ReadonlyMap<string, Program>, structOps: ReadonlyMap<string, () => Link>, options: AutoAttachOptions = {},
): AutoAttachment {
  const skip = new Set(options.skip ?? []);
  const byName = new Map<string, Link>();
  const skipped: SkippedProgram[] = [];
  try {
    for (const [name, program] of programs) {
      if (skip.has(name)) {
        skipped.push({ program: name, reason: "left out by the caller (skip)" });
        continue;
      }
      const section = program.sectionName;
      const family = section === undefined ? undefined : autoAttachFamilies.find((f) => f.accepts(section, program));
      if (!family) {
        skipped.push({ program: name, reason: manualAttachReason(program) });
        continue;
      }
      try {
        byName.set(name, family.attach(program));
      } catch (e) {
        throw attachFailed(name, e);
      }
    }
    for (const [name, register] of structOps) {
      if (skip.has(name)) continue;
      try {
        byName.set(name, register());
      } catch (e) {
        throw attachFailed(name, e);
      }
    }
  } catch (e) {
    new LinkGroup([...byName.values()]).close();
    throw e;
  }
  return new AutoAttachment(byName, skipped);
}
