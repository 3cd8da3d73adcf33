// The BTF that map tests need for key/value type ids (local storage maps,
// spin-locked values), encoded and loaded by the BTF layer.
import { encodeBtf } from "../../src/btf/encode.js";
import { loadBtf } from "../../src/btf/kernel.js";
import type { FD } from "../../src/sys/fd.js";

/** Type ids in the blob built by {@link loadTestBtf}. */
export const TEST_BTF = {
  /** `int` (4 bytes, signed). */
  INT: 1,
  /** `unsigned long long` (8 bytes). */
  U64: 2,
  /** `struct bpf_spin_lock { int val; }`. */
  SPIN_LOCK: 3,
  /** `struct locked_val { struct bpf_spin_lock lock; int data; }` (8 bytes). */
  LOCKED_VAL: 4,
} as const;

const int = (name: string, size: number, signed: boolean) =>
  ({ kind: "INT", name, kindFlag: false, size, signed, char: false, bool: false, bitOffset: 0, bits: size * 8 }) as const;
const member = (name: string, type: number, bitOffset: number) => ({ name, type, bitOffset, bitfieldSize: 0 });

/** The raw bytes of the test BTF. */
export function testBtfBytes(): Uint8Array {
  return encodeBtf([
    int("int", 4, true),
    int("unsigned long long", 8, false),
    { kind: "STRUCT", name: "bpf_spin_lock", kindFlag: false, size: 4, members: [member("val", TEST_BTF.INT, 0)] },
    { kind: "STRUCT", name: "locked_val", kindFlag: false, size: 8, members: [member("lock", TEST_BTF.SPIN_LOCK, 0), member("data", TEST_BTF.INT, 32)] },
  ]);
}

/** Loads the test BTF with BPF_BTF_LOAD; throws BtfLoadError (with the kernel's log) on failure. */
export function loadTestBtf(): FD {
  return loadBtf(testBtfBytes());
}
