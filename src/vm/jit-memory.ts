// JavaScript for loads, stores and atomics. Two fast paths, both falling
// back to the interpreter's own address checks (AddressSpace.offsetOf), so
// faults carry the same messages:
// - r10-relative accesses whose offset is inside the 512-byte frame are
//   resolved here, at compile time: r10 is read-only and always the top of
//   the current frame's stack region (`sB`/`sV`, switched on calls), so they
//   need no check at all;
// - any other access tests the last region hit (`cW` window, `cS` start,
//   `cN` length, `cB`/`cV` bytes and view, `cWr` writable) inline and only
//   calls out when the address is elsewhere. A helper call may unmap or
//   replace regions (a packet's bounds move), so compiled code forgets the
//   cached region after every call.
import { AtomicOp, Class, Mode, sizeBytes } from "../asm/opcodes.js";
import { STACK_SIZE } from "./interpreter.js";
import { hi, lo } from "./jit-alu.js";
import type { VmProgram } from "./program.js";
import { HI, LO } from "./registers.js";

/** Compiled code's initial (empty) region cache: no window matches -1, no offset fits length -8. */
export const EMPTY_CACHE = "let cW = -1, cS = 0, cN = -8, cB = sB, cV = sV, cWr = false, o = 0, c;";

/** Where an access's bytes are: `bytes` and `view` expressions and the offset expression into them. */
interface Place {
  readonly setup: string;
  readonly bytes: string;
  readonly view: string;
  readonly at: (plus: number) => string;
}

/**
 * Resolves the address `base register + off` for a `size`-byte access.
 * `sync` is the statement that makes ex.remaining exact before the slow path
 * (which may throw).
 */
function place(base: number, off: number, size: number, access: "read" | "write", index: number, sync: string): Place {
  const inFrame = STACK_SIZE + off;
  if (base === 10 && inFrame >= 0 && inFrame + size <= STACK_SIZE) {
    return { setup: "", bytes: "sB", view: "sV", at: (plus) => `${inFrame + plus}` };
  }
  const [bl, bh] = [lo(base), hi(base)];
  const miss = `${bh} !== cW || o < 0 || o > cN - ${size}${access === "write" ? " || !cWr" : ""}`;
  const setup = `o = (${bl} >>> 0) + ${off} - cS;
if (${miss}) { ${sync} o = rt.offsetAt(mem, ${bh}, ${bl}, ${off}, ${size}, "${access}", ${index}); c = mem.hit; cW = c.window; cS = c.start; cN = c.bytes.byteLength; cB = c.bytes; cV = c.view; cWr = c.writable; }
`;
  return { setup, bytes: "cB", view: "cV", at: (plus) => (plus === 0 ? "o" : `o + ${plus}`) };
}

/** Loads `size` bytes into register d (zero-extended, or sign-extended when `signed`). */
function load(d: number, size: number, signed: boolean, at: Place): string {
  const [dl, dh] = [lo(d), hi(d)];
  if (size === 8) return `${at.setup}${dl} = ${at.view}.getInt32(${at.at(0)}, true); ${dh} = ${at.view}.getInt32(${at.at(4)}, true);`;
  let v: string;
  if (size === 4) v = `${at.view}.getInt32(${at.at(0)}, true)`;
  else if (size === 2) v = `${at.view}.${signed ? "getInt16" : "getUint16"}(${at.at(0)}, true)`;
  else v = signed ? `${at.view}.getInt8(${at.at(0)})` : `${at.bytes}[${at.at(0)}]`;
  return `${at.setup}${dl} = ${v}; ${dh} = ${signed ? `${dl} >> 31` : "0"};`;
}

/** Stores the low `size` bytes of the pair (vl, vh). */
function store(size: number, vl: string, vh: string, at: Place): string {
  if (size === 8) return `${at.setup}${at.view}.setInt32(${at.at(0)}, ${vl}, true); ${at.view}.setInt32(${at.at(4)}, ${vh}, true);`;
  if (size === 4) return `${at.setup}${at.view}.setInt32(${at.at(0)}, ${vl}, true);`;
  if (size === 2) return `${at.setup}${at.view}.setInt16(${at.at(0)}, ${vl}, true);`;
  return `${at.setup}${at.bytes}[${at.at(0)}] = ${vl};`;
}

/** Writes register r's halves to the register file (for runtime code that reads it). */
export const spillRegister = (r: number): string => `s32[${2 * r + LO}] = ${lo(r)}; s32[${2 * r + HI}] = ${hi(r)};`;
/** Reads register r's halves back from the register file. */
export const reloadRegister = (r: number): string => `${lo(r)} = s32[${2 * r + LO}]; ${hi(r)} = s32[${2 * r + HI}];`;

/** An LDX instruction (or a load-acquire). */
export function loadInstruction(p: VmProgram, i: number, sync: string): string {
  const op = p.opcode[i] as number;
  const size = sizeBytes(op);
  const at = place(p.src[i] as number, p.offset[i] as number, size, "read", i, sync);
  return load(p.dst[i] as number, size, (op & 0xe0) === Mode.MEMSX, at);
}

/** An ST, STX or atomic instruction. */
export function storeInstruction(p: VmProgram, i: number, sync: string): string {
  const op = p.opcode[i] as number;
  const d = p.dst[i] as number;
  const s = p.src[i] as number;
  const off = p.offset[i] as number;
  const imm = p.imm[i] as number;
  if ((op & 0xe0) === Mode.ATOMIC) {
    if (imm === AtomicOp.LOAD_ACQ) return loadInstruction(p, i, sync);
    // Rare: the interpreter's code reads and writes src and r0 in the register file.
    const address = `rt.addressHigh(${hi(d)} >>> 0, ${lo(d)} >>> 0, ${off}), rt.addressLow(${lo(d)} >>> 0, ${off})`;
    return `${sync} ${spillRegister(s)} ${spillRegister(0)} rt.atomic(ex, ${i}, ${op}, ${s}, ${address}, ${imm}); ${reloadRegister(s)} ${reloadRegister(0)}`;
  }
  const at = place(d, off, sizeBytes(op), "write", i, sync);
  if ((op & 0x07) === Class.STX) return store(sizeBytes(op), lo(s), hi(s), at);
  return store(sizeBytes(op), `${imm | 0}`, imm < 0 ? "-1" : "0", at);
}
