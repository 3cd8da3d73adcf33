// The minimal BTF that probes for local storage maps need (those map types
// insist on a BTF key and a value type with a spin lock):
//   [1] int (signed, 32 bits)
//   [2] struct bpf_spin_lock { int val; }
//   [3] struct val { int cnt; struct bpf_spin_lock l; }
// Encoded and loaded by the BTF layer; only the type list lives here.
import { encodeBtf } from "../btf/encode.js";
import { loadBtf } from "../btf/kernel.js";
import { BpfError } from "../sys/errors.js";
import { EINVAL } from "../sys/errno.js";

/** Type id of `int` inside the probe BTF (the map key type). */
export const PROBE_BTF_INT = 1;
/** Type id of `struct val` inside the probe BTF (the map value type). */
export const PROBE_BTF_VALUE_STRUCT = 3;

let probeBlob: Uint8Array | undefined;

function probeBtfBytes(): Uint8Array {
  probeBlob ??= encodeBtf([
    { kind: "INT", name: "int", kindFlag: false, size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    { kind: "STRUCT", name: "bpf_spin_lock", kindFlag: false, size: 4, members: [{ name: "val", type: 1, bitOffset: 0, bitfieldSize: 0 }] },
    { kind: "STRUCT", name: "val", kindFlag: false, size: 8, members: [
      { name: "cnt", type: 1, bitOffset: 0, bitfieldSize: 0 },
      { name: "l", type: 2, bitOffset: 32, bitfieldSize: 0 },
    ] },
  ]);
  return probeBlob;
}

/** Loads the probe BTF; returns the raw fd (caller closes) or -errno. */
export function loadProbeBtf(): number {
  try {
    return loadBtf(probeBtfBytes()).release();
  } catch (e) {
    // Probes report "unsupported because errno", so hand back the errno.
    if (e instanceof BpfError) return -(e.errno ?? EINVAL);
    throw e;
  }
}
