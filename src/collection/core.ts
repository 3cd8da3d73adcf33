// CO-RE for the collection loader: one relocator per collection (libbpf
// shares candidate lists per object), records taken from each program's
// linked stream, fixups applied to the program's own instruction copy.
import type { Btf } from "../btf/btf.js";
import { CoreRelocator } from "../core/relocator.js";
import { applyCoreFixups } from "../core/patch.js";
import type { CoreFixup } from "../core/fixup.js";
import { CoreRelocationError } from "../core/errors.js";
import type { ObjectProgramSpec } from "../object/program-spec.js";
import type { ModuleBtfSource } from "./module-btf.js";

/** The BTF relocations resolve against. */
export interface CoreTarget {
  readonly btf: Btf;
  /** Shown in messages: "vmlinux" or the file name. */
  readonly name: string;
  /** Module BTF searched after `btf` (only for the running kernel; false for a given BTF). */
  readonly modules: ModuleBtfSource | false;
}

/** Resolved fixups of one program, by linked-stream slot. */
export interface ProgramCoreResult {
  readonly fixups: readonly CoreFixup[];
  readonly poisonedSlots: readonly number[];
}

/** Creates the collection's relocator (call only when some program has CO-RE records). */
export function createRelocator(localBtf: Btf, target: CoreTarget, byteOrder: "le" | "be"): CoreRelocator {
  return new CoreRelocator(
    localBtf,
    { vmlinux: target.btf, vmlinuxName: target.name, modules: target.modules || [] },
    { byteOrder },
  );
}

/**
 * Resolves the program's CO-RE records and patches `code` (little-endian
 * wire format). Fixups name the program's section and the slot in the
 * linked program, so the verifier's instruction index finds them.
 */
export function relocateCore(relocator: CoreRelocator, program: ObjectProgramSpec, code: Uint8Array): ProgramCoreResult {
  if (program.coreRelocations.length === 0) return { fixups: [], poisonedSlots: [] };
  let fixups: CoreFixup[];
  try {
    fixups = program.coreRelocations.map((r) => relocator.resolve({ ...r, insnOffset: r.slot * 8 }, program.sectionName));
  } catch (e) {
    // The relocation names its section; several programs may share it, so say which one (by its full name).
    if (e instanceof CoreRelocationError) e.message = `program '${program.name}': ${e.message}`;
    throw e;
  }
  const poisonedSlots = applyCoreFixups(code, fixups, { byteOrder: "le" });
  return { fixups, poisonedSlots };
}
