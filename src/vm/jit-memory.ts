// JavaScript for loads, stores and atomics. Fast paths first, all falling
// back to the interpreter's own address checks (AddressSpace.offsetOf), so
// faults carry the same messages:
// - r10-relative accesses whose offset is inside the 512-byte frame are
//   resolved here, at compile time: r10 is read-only and always the top of
//   the current frame's stack region (`sB`/`sV`, switched on calls), so they
//   need no check at all;
// - any other access first tests the last region hit through such an
//   access (`cW` window, `cS` start, `cN` length, `cB`/`cV` bytes and view,
//   `cWr` writable: a packet or map value a loop walks), then the current
//   frame's stack (`sW` window, `sS` start: pointers to stack slots computed
//   at run time), and only calls out when the address is elsewhere. A helper call may unmap or replace regions (a packet's bounds
//   move), so compiled code forgets the cached region after every call.
// Offsets are computed in wrapping int32 arithmetic, `(lo - start + off) | 0`,
// which V8 keeps in machine integers. That equals the true offset whenever
// the result lands in [0, length - size], except for a region ending within
// 64 KiB of 4 GiB, where an address that wrapped below 0 could alias it:
// such a region is never cached (CACHE_TOP).
import { AtomicOp, Class, Mode, sizeBytes } from "../asm/opcodes.js";
import { STACK_SIZE } from "./interpreter.js";
import { hi, lo } from "./jit-alu.js";
import type { VmProgram } from "./program.js";
import { HI, LO } from "./registers.js";

/** Regions ending above this address are not cached (see the file comment). */
const CACHE_TOP = 0xffff_0000;

/** Compiled code's initial (empty) region cache: no window matches -1, no offset fits length -8. */
export const EMPTY_CACHE = "let cW = -1, cS = 0, cN = -8, cB = sB, cV = sV, cWr = false, o = 0, c;";

/** Points the stack locals and r10 at frame `ex.depth`'s stack region. */
export const SWITCH_FRAME = `c = stacks[ex.depth]; sB = c.bytes; sV = c.view; sW = c.window; sS = c.start | 0; l10 = (c.start + ${STACK_SIZE}) | 0; h10 = c.window;`;

/** Makes the region in `c` the cached one (or caches nothing, for a region too close to 4 GiB). */
const REFILL = `cW = c.window; cS = c.start | 0; cN = c.start + c.bytes.byteLength > ${CACHE_TOP} ? -8 : c.bytes.byteLength; cB = c.bytes; cV = c.view; cWr = c.writable;`;

/** Emits one access's body given where its bytes are: a Uint8Array, a DataView, and the offset expression. */
type Body = (bytes: string, view: string, at: (plus: number) => string) => string;

/**
 * A `size`-byte access at `base register + off`. `sync` makes ex.remaining
 * exact before the slow path (which may throw).
 */
function access(base: number, off: number, size: number, kind: "read" | "write", index: number, sync: string, body: Body): string {
  const inFrame = STACK_SIZE + off;
  if (base === 10 && inFrame >= 0 && inFrame + size <= STACK_SIZE) return body("sB", "sV", (plus) => `${inFrame + plus}`);
  const [bl, bh] = [lo(base), hi(base)];
  const at = (plus: number): string => (plus === 0 ? "o" : `o + ${plus}`);
  const hit = `${bh} === cW && o >= 0 && o <= cN - ${size}${kind === "write" ? " && cWr" : ""}`;
  return `o = (${bl} - cS + ${off}) | 0;
if (${hit}) { ${body("cB", "cV", at)} } else if (${bh} === sW && (o = (${bl} - sS + ${off}) | 0) >= 0 && o <= ${STACK_SIZE - size}) { ${body("sB", "sV", at)} } else {
${sync} o = rt.offsetAt(mem, ${bh}, ${bl}, ${off}, ${size}, "${kind}", ${index}) | 0; c = mem.hit; ${REFILL}
${body("cB", "cV", at)} }`;
}

/** Loads `size` bytes into register d (zero-extended, or sign-extended when `signed`). */
function load(d: number, size: number, signed: boolean): Body {
  const [dl, dh] = [lo(d), hi(d)];
  return (bytes, view, at) => {
    if (size === 8) return `${dl} = ${view}.getInt32(${at(0)}, true); ${dh} = ${view}.getInt32(${at(4)}, true);`;
    let v: string;
    if (size === 4) v = `${view}.getInt32(${at(0)}, true)`;
    else if (size === 2) v = `${view}.${signed ? "getInt16" : "getUint16"}(${at(0)}, true)`;
    else v = signed ? `${view}.getInt8(${at(0)})` : `${bytes}[${at(0)}]`;
    return `${dl} = ${v}; ${dh} = ${signed ? `${dl} >> 31` : "0"};`;
  };
}

/** Stores the low `size` bytes of the pair (vl, vh). */
function store(size: number, vl: string, vh: string): Body {
  return (bytes, view, at) => {
    if (size === 8) return `${view}.setInt32(${at(0)}, ${vl}, true); ${view}.setInt32(${at(4)}, ${vh}, true);`;
    if (size === 4) return `${view}.setInt32(${at(0)}, ${vl}, true);`;
    if (size === 2) return `${view}.setInt16(${at(0)}, ${vl}, true);`;
    return `${bytes}[${at(0)}] = ${vl};`;
  };
}

/** Writes register r's halves to the register file (for runtime code that reads it). */
export const spillRegister = (r: number): string => `s32[${2 * r + LO}] = ${lo(r)}; s32[${2 * r + HI}] = ${hi(r)};`;
/** Reads register r's halves back from the register file. */
export const reloadRegister = (r: number): string => `${lo(r)} = s32[${2 * r + LO}]; ${hi(r)} = s32[${2 * r + HI}];`;

/** An LDX instruction (or a load-acquire). */
export function loadInstruction(p: VmProgram, i: number, sync: string): string {
  const op = p.opcode[i] as number;
  const size = sizeBytes(op);
  return access(p.src[i] as number, p.offset[i] as number, size, "read", i, sync, load(p.dst[i] as number, size, (op & 0xe0) === Mode.MEMSX));
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
  const value = (op & 0x07) === Class.STX ? store(sizeBytes(op), lo(s), hi(s)) : store(sizeBytes(op), `${imm | 0}`, imm < 0 ? "-1" : "0");
  return access(d, off, sizeBytes(op), "write", i, sync, value);
}
