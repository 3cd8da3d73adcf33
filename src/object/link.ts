// Linking a program: its own instructions, then every subprogram it reaches,
// appended depth-first in the order their first call (or address-of) appears
// — libbpf's bpf_object__reloc_code order — with call and BPF_PSEUDO_FUNC
// immediates rewritten to pc-relative slot offsets within the linked stream.
import type { FunctionCode, FunctionRef, SlotCoreRelo, SlotFuncInfo, SlotLineInfo } from "./functions.js";
import type { InstructionReference } from "./references.js";
import { ObjectError } from "./errors.js";
import { PseudoLd } from "../asm/opcodes.js";

const SLOT = 8;

/** A main program with its subprograms linked in. */
export interface LinkedCode {
  /** Raw instructions in the object's byte order. */
  readonly bytes: Uint8Array;
  /** References by slot of the linked stream (calls and function addresses included, already fixed up). */
  readonly references: ReadonlyMap<number, InstructionReference>;
  /** Names of the appended subprograms, in append order. */
  readonly subprograms: readonly string[];
  readonly funcInfos: readonly SlotFuncInfo[];
  readonly lineInfos: readonly SlotLineInfo[];
  readonly coreRelos: readonly SlotCoreRelo[];
}

function isFunctionRef(r: InstructionReference | FunctionRef): r is FunctionRef {
  return "target" in r;
}

/** Links `main` with the subprograms it calls or takes the address of, transitively. */
export function linkProgram(main: FunctionCode, littleEndian: boolean): LinkedCode {
  const base = new Map<FunctionCode, number>([[main, 0]]);
  const order: FunctionCode[] = [main];
  let total = main.slotCount;
  const references = new Map<number, InstructionReference>();
  const fixups: { slot: number; target: FunctionCode; kind: FunctionRef["kind"] }[] = [];
  const funcInfos: SlotFuncInfo[] = [];
  const lineInfos: SlotLineInfo[] = [];
  const coreRelos: SlotCoreRelo[] = [];

  const visit = (fn: FunctionCode, depth: number): void => {
    if (depth > 10_000) throw new ObjectError(`call chain from '${main.name}' is too deep`, { symbol: main.name });
    const at = base.get(fn) as number;
    for (const fi of fn.funcInfos) funcInfos.push({ slot: fi.slot + at, typeId: fi.typeId });
    for (const li of fn.lineInfos) lineInfos.push({ ...li, slot: li.slot + at });
    for (const cr of fn.coreRelos) coreRelos.push({ ...cr, slot: cr.slot + at });
    const slots = [...fn.refs.keys()].sort((a, b) => a - b);
    for (const rel of slots) {
      const ref = fn.refs.get(rel) as InstructionReference | FunctionRef;
      const slot = at + rel;
      if (!isFunctionRef(ref)) {
        references.set(slot, ref);
        continue;
      }
      if (!base.has(ref.target)) {
        base.set(ref.target, total);
        total += ref.target.slotCount;
        order.push(ref.target);
        visit(ref.target, depth + 1);
      }
      fixups.push({ slot, target: ref.target, kind: ref.kind });
      references.set(slot, { kind: ref.kind, function: ref.target.name });
    }
  };
  visit(main, 0);

  const bytes = new Uint8Array(total * SLOT);
  for (const fn of order) bytes.set(fn.bytes, (base.get(fn) as number) * SLOT);
  const view = new DataView(bytes.buffer);
  for (const f of fixups) {
    view.setInt32(f.slot * SLOT + 4, (base.get(f.target) as number) - f.slot - 1, littleEndian);
    // clang emits a function address as a plain ld_imm64; the kernel wants BPF_PSEUDO_FUNC (libbpf sets it too).
    if (f.kind === "function") {
      const regs = bytes[f.slot * SLOT + 1] as number;
      bytes[f.slot * SLOT + 1] = littleEndian ? (regs & 0x0f) | (PseudoLd.FUNC << 4) : (regs & 0xf0) | PseudoLd.FUNC;
    }
  }
  return {
    bytes,
    references,
    subprograms: order.slice(1).map((f) => f.name),
    funcInfos, lineInfos, coreRelos,
  };
}
