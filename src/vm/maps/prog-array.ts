// Prog arrays: the targets of bpf_tail_call. Slots hold VmPrograms, set with
// setProgram() or, as with a kernel map, by update() with a program fd that
// the map's resolveProgram option turns into a VmProgram (an fd it does not
// know is -EBADF, as the kernel's). A user-space lookup answers the program's
// id — a number the machine gives each VmProgram, standing for the kernel's
// program id.
import * as E from "../../sys/errno.js";
import { InvalidArgumentError } from "../../sys/errors.js";
import { describeMap } from "../../map/errors.js";
import type { MapSpec } from "../../map/spec.js";
import { VmProgram } from "../program.js";
import type { VmMapOptions } from "./base.js";
import { objectIds, writeU32 } from "./bytes.js";
import { FdArrayVmMap } from "./fd-array.js";
import type { VmMapHost, VmProgArrayOps } from "./types.js";

/** A stable id for a program (1, 2, … in order of first use): what a prog array lookup returns for it. */
export const vmProgramId: (program: VmProgram) => number = objectIds<VmProgram>();

/** prog_array. */
export class ProgArrayVmMap extends FdArrayVmMap<VmProgram> implements VmProgArrayOps {
  readonly #resolveProgram: ((fd: number) => VmProgram | undefined) | undefined;

  constructor(spec: MapSpec, host: VmMapHost, options: VmMapOptions = {}) {
    super(spec, host);
    this.#resolveProgram = options.resolveProgram;
  }

  protected resolve(fd: number): VmProgram | undefined {
    return this.#resolveProgram?.(fd);
  }

  protected sysLookup(key: Uint8Array, out: Uint8Array): number {
    const i = this.indexOf(key);
    const program = i < 0 ? undefined : this.slots[i];
    if (!program) return -E.ENOENT;
    writeU32(out, vmProgramId(program));
    return 0;
  }

  /** The program in slot `index`, if any. */
  programAt(index: number): VmProgram | undefined {
    return Number.isInteger(index) && index >= 0 && index < this.maxEntries ? this.slots[index] : undefined;
  }

  /** Puts `program` in slot `index` (undefined empties it); an index past the end is an InvalidArgumentError. */
  setProgram(index: number, program: VmProgram | undefined): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) {
      throw new InvalidArgumentError(`${describeMap(this)}: index ${index} is out of range (max_entries ${this.maxEntries})`, "index");
    }
    if (program !== undefined && !(program instanceof VmProgram)) {
      throw new InvalidArgumentError(`${describeMap(this)}: setProgram takes a VmProgram or undefined`, "program");
    }
    this.slots[index] = program;
  }
}
