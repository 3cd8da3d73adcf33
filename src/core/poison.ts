// Poisoning: an instruction whose relocation cannot be satisfied becomes a
// call to a helper id no kernel has. If the code is dead (guarded by a
// bpf_core_field_exists() check, say) the verifier drops it; if it is
// reachable, the verifier fails with "invalid func unknown#195896080",
// which the loader maps back to the relocation's description.
import { Class, JmpOp } from "../asm/opcodes.js";

/** The helper id libbpf writes into poisoned instructions (0xbad2310). */
export const POISON_HELPER_ID = 0xbad2310;

/** Opcode of the poisoning call (BPF_JMP | BPF_CALL). */
export const POISON_OPCODE = Class.JMP | JmpOp.CALL;

/** Overwrites the 8-byte slot at `pos` with the poison call. */
export function poisonSlot(view: DataView, pos: number, littleEndian: boolean): void {
  view.setUint8(pos, POISON_OPCODE);
  view.setUint8(pos + 1, 0);
  view.setInt16(pos + 2, 0, littleEndian);
  view.setInt32(pos + 4, POISON_HELPER_ID, littleEndian);
}

/** True when the instruction at `pos` is a poisoned call (for VerifierError hints). */
export function isPoisonedSlot(view: DataView, pos: number, littleEndian: boolean): boolean {
  return view.getUint8(pos) === POISON_OPCODE && view.getInt32(pos + 4, littleEndian) === POISON_HELPER_ID;
}
