// The location of a USDT argument, architecture-neutral: what the BPF side
// of <bpf/usdt.bpf.h> can read (a constant, a register, memory at a register
// plus an offset), and the helpers the per-architecture parsers share.
import { UsdtArgumentError } from "./errors.js";
import { ptRegsOffset, type UsdtArch } from "./pt-regs.js";

/** Where an argument's value is. Register offsets are offsetof(struct pt_regs, reg). */
export type UsdtLocation =
  | { readonly kind: "const"; readonly value: bigint }
  | { readonly kind: "reg"; readonly reg: string; readonly regOffset: number }
  | { readonly kind: "deref"; readonly reg: string; readonly regOffset: number; readonly offset: bigint };

/** Parses a decimal integer (optionally signed) into a bigint; undefined for anything else. */
export function decimal(text: string): bigint | undefined {
  return /^[-+]?\d{1,20}$/.test(text) ? BigInt(text) : undefined;
}

/** The pt_regs offset of `reg`, or UsdtArgumentError naming the register. */
export function registerOffset(arch: UsdtArch, reg: string, spec: string): number {
  const offset = ptRegsOffset(arch, reg);
  if (offset === undefined) throw new UsdtArgumentError(spec, `register '${reg}' is not one the BPF side can read from pt_regs on ${arch}`);
  return offset;
}

