// An object's program made runnable in the machine: the loader's own steps
// on a private little-endian copy (CO-RE against the BTF the test chose,
// then map, global data, kconfig and ksym references), with "fds" that are
// the machine's map indexes, then ld_imm64 resolved to machine addresses.
// Reusing the kernel loader's relocation code means a program runs here
// with exactly the instructions it would be loaded with.
import { PseudoLd } from "../../asm/opcodes.js";
import type { Btf } from "../../btf/btf.js";
import { createRelocator, relocateCore } from "../../collection/core.js";
import type { KsymValue } from "../../collection/ksyms.js";
import { littleEndianCode, relocateProgram } from "../../collection/relocate.js";
import type { CoreRelocator } from "../../core/relocator.js";
import type { ObjectProgramSpec } from "../../object/program-spec.js";
import type { ObjectSpec } from "../../object/object-spec.js";
import { InvalidArgumentError, NotFoundError } from "../../sys/errors.js";
import { VmProgram } from "../program.js";
import type { VmMapOps } from "../maps/types.js";

/** What relocation needs from the collection being built. */
export interface VmRelocationContext {
  /** Maps by their key in ObjectSpec.maps; their index + 1 is the "fd" the instructions carry. */
  readonly maps: readonly (readonly [string, VmMapOps])[];
  /** ksym and kfunc externs resolved (addresses the test gave, or missing). */
  readonly ksyms: ReadonlyMap<string, KsymValue>;
  /** The CO-RE target; undefined: the object's own BTF. */
  readonly target: Btf | undefined;
  /** Name of the target in messages. */
  readonly targetName: string;
}

/** Relocates every selected program of `spec`; returns them by name. */
export function relocatePrograms(spec: ObjectSpec, programs: readonly ObjectProgramSpec[], ctx: VmRelocationContext): Map<string, VmProgram> {
  const index = new Map(ctx.maps.map(([name], i) => [name, i + 1]));
  const byFd = (fd: number, slot: number): VmMapOps => {
    const entry = ctx.maps[fd - 1];
    if (!entry) throw new InvalidArgumentError(`instruction ${slot}: ld_imm64 refers to map fd ${fd}, which the machine did not create`, "instructions");
    return entry[1];
  };
  const externIndex = new Map([...spec.externs.keys()].map((n, i) => [n, i]));
  let relocator: CoreRelocator | undefined;
  const out = new Map<string, VmProgram>();
  for (const p of programs) {
    const code = littleEndianCode(p);
    if (p.coreRelocations.length > 0) {
      const local = spec.btf;
      if (!local) throw new InvalidArgumentError(`program '${p.name}' has CO-RE relocations but the object has no BTF`, "btf");
      relocator ??= createRelocator(local, { btf: ctx.target ?? local, name: ctx.targetName, modules: false }, spec.byteOrder);
      relocateCore(relocator, p, code);
    }
    relocateProgram(p, code, {
      mapFd: (name) => {
        const fd = index.get(name);
        if (fd === undefined) throw new NotFoundError(`program '${p.name}' refers to map '${name}', which the machine did not create`);
        return fd;
      },
      kconfigFd: () => index.get(".kconfig") ?? -1,
      externs: spec.externs,
      externIndex,
      ksyms: ctx.ksyms,
      moduleBtf: {
        fd: () => { throw new NotFoundError(`program '${p.name}': kernel module symbols do not exist in the machine`); },
        slot: () => { throw new NotFoundError(`program '${p.name}': kernel module symbols do not exist in the machine`); },
      },
    });
    out.set(p.name, VmProgram.fromBytes(code, {
      resolveLdImm64: (src, imm, offset, slot) => {
        if (src === PseudoLd.MAP_FD) return byFd(imm, slot).handle.base;
        if (src === PseudoLd.MAP_VALUE) {
          const map = byFd(imm, slot);
          const value = map.programLookup(new Uint8Array(4));
          if (value === 0n) throw new InvalidArgumentError(`instruction ${slot}: map '${map.name}' has no value to point into`, "instructions");
          return value + BigInt(offset >>> 0);
        }
        throw new InvalidArgumentError(`program '${p.name}', instruction ${slot}: ld_imm64 with src ${src} (a kernel object) cannot run in the machine`, "instructions");
      },
    }));
  }
  return out;
}
