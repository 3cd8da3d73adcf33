// Writes what the loader resolved into a program's instructions: map fds
// (BPF_PSEUDO_MAP_FD), global data and .kconfig addresses
// (BPF_PSEUDO_MAP_VALUE + offset), ksyms (BPF_PSEUDO_BTF_ID or an address)
// and kfunc calls (BPF_PSEUDO_KFUNC_CALL), the way libbpf relocates data.
// Symbols from a kernel module also name the module's BTF object: by fd in
// the ld_imm64's second half, by fd_array index in a kfunc call's offset.
// Instructions are in little-endian wire format (the loader converts first).
import type { ObjectProgramSpec } from "../object/program-spec.js";
import type { ExternSpec } from "../object/externs.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { KsymValue } from "./ksyms.js";
import type { ModuleBtf } from "./module-btf.js";
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd } from "../asm/opcodes.js";
import { encode } from "../asm/encoding.js";

const CALL = Class.JMP | JmpOp.CALL;
/**
 * libbpf turns a call to a missing `__weak` kfunc into a call of helper
 * 2002000000 + extern index: the verifier only complains if the call is
 * reachable, so `if (bpf_ksym_exists(f)) f();` loads on kernels without f.
 */
export const POISON_KFUNC_BASE = 2002000000;

/** What relocation needs from the rest of the collection. */
export interface RelocationContext {
  /** Kernel fd of a map, by its key in ObjectSpec.maps (C name or section name). */
  mapFd(name: string): number;
  /** The .kconfig map fd. */
  kconfigFd(): number;
  /** Externs by name, and what ksym/kfunc externs resolved to. */
  externs: ReadonlyMap<string, ExternSpec>;
  externIndex: ReadonlyMap<string, number>;
  ksyms: ReadonlyMap<string, KsymValue>;
  /** Kernel BTF objects of modules (see ModuleBtfFds): only asked for when a ksym lives in a module. */
  moduleBtf: {
    /** The module's BTF object fd number. */
    fd(module: ModuleBtf): number;
    /** The module's index in the program's fd_array (1 or more). */
    slot(module: ModuleBtf): number;
  };
}

/** The program's linked instructions as a private little-endian copy (relocation patches it). */
export function littleEndianCode(program: ObjectProgramSpec): Uint8Array {
  return program.byteOrder === "le" ? program.bytes.slice() : encode(program.instructions, "le");
}

function setSrc(code: Uint8Array, pos: number, src: number): void {
  code[pos + 1] = (code[pos + 1]! & 0x0f) | (src << 4);
}

function setLdImm64(view: DataView, code: Uint8Array, pos: number, src: number, lo: number, hi: number): void {
  setSrc(code, pos, src);
  view.setInt32(pos + 4, lo | 0, true);
  view.setInt32(pos + 12, hi | 0, true);
}

/** Patches every map/data/extern reference of `program` into `code` (its little-endian copy). */
export function relocateProgram(program: ObjectProgramSpec, code: Uint8Array, ctx: RelocationContext): void {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  for (const [slot, ref] of program.references) {
    const pos = slot * 8;
    const opcode = code[pos];
    const expectLd = (): void => {
      if (opcode !== LD_IMM64 || pos + 16 > code.byteLength) {
        throw new InvalidArgumentError(`program '${program.name}': instruction ${slot} refers to ${ref.kind} but is not a ld_imm64`, "instructions");
      }
    };
    switch (ref.kind) {
      case "call": case "function":
        break; // Linking already pointed these at the subprogram.
      case "map":
        expectLd();
        setLdImm64(view, code, pos, PseudoLd.MAP_FD, ctx.mapFd(ref.map), 0);
        break;
      case "data":
        expectLd();
        setLdImm64(view, code, pos, PseudoLd.MAP_VALUE, ctx.mapFd(ref.map), ref.offset);
        break;
      case "kconfig": {
        expectLd();
        const ext = ctx.externs.get(ref.extern);
        setLdImm64(view, code, pos, PseudoLd.MAP_VALUE, ctx.kconfigFd(), ext?.kconfigOffset ?? 0);
        break;
      }
      case "ksym": {
        expectLd();
        ldKsym(view, code, pos, program, ref.extern, ctx);
        break;
      }
      case "kfunc": {
        // `bpf_ksym_exists(kfunc)` takes the kfunc's address: an ld_imm64, relocated like a typed ksym.
        if (opcode === LD_IMM64) {
          ldKsym(view, code, pos, program, ref.extern, ctx);
          break;
        }
        callKfunc(view, code, pos, program, slot, ref.extern, ctx);
        break;
      }
    }
  }
}

/**
 * ld_imm64 of a ksym: BPF_PSEUDO_BTF_ID for typed ones and kfuncs (the
 * second half holds the module's BTF fd, 0 for vmlinux), the address for
 * untyped ones, 0 when a __weak one is missing.
 */
function ldKsym(view: DataView, code: Uint8Array, pos: number, program: ObjectProgramSpec, extern: string, ctx: RelocationContext): void {
  const v = ctx.ksyms.get(extern);
  if (!v) throw new NotFoundError(`program '${program.name}': extern '${extern}' was not resolved`);
  if (v.kind === "btf") setLdImm64(view, code, pos, PseudoLd.BTF_ID, v.btfId, v.module ? ctx.moduleBtf.fd(v.module) : 0);
  else if (v.kind === "address") setLdImm64(view, code, pos, 0, Number(v.address & 0xffff_ffffn), Number(v.address >> 32n));
  else setLdImm64(view, code, pos, 0, 0, 0);
}

/**
 * A kfunc call: BPF_PSEUDO_KFUNC_CALL with the BTF id and, in insn.off, the
 * fd_array index of its BTF (0: vmlinux); or libbpf's poisoned call when a
 * __weak kfunc is missing.
 */
function callKfunc(view: DataView, code: Uint8Array, pos: number, program: ObjectProgramSpec, slot: number, extern: string, ctx: RelocationContext): void {
  if (code[pos] !== CALL) throw new InvalidArgumentError(`program '${program.name}': instruction ${slot} calls kfunc '${extern}' but is not a call`, "instructions");
  const v = ctx.ksyms.get(extern);
  view.setInt16(pos + 2, 0, true);
  if (v?.kind === "btf") {
    setSrc(code, pos, PseudoCall.KFUNC_CALL);
    if (v.module) view.setInt16(pos + 2, ctx.moduleBtf.slot(v.module), true);
    view.setInt32(pos + 4, v.btfId, true);
  } else {
    setSrc(code, pos, 0);
    view.setInt32(pos + 4, POISON_KFUNC_BASE + (ctx.externIndex.get(extern) ?? 0), true);
  }
}
