// Advice for the verifier rejections people meet most. Each entry names the
// failure (a stable id tests and tools can switch on), the log text that
// identifies it, and what to change in the C source. Matched in order
// against the verifier's reason lines, so the specific entries come first.
import { POISON_HELPER_ID } from "../core/poison.js";

/** Stable names for the verifier failures tsbpf recognises. */
export type VerifierFailure =
  | "uninitialized-register"
  | "scalar-dereference"
  | "null-dereference"
  | "infinite-loop"
  | "program-too-large"
  | "stack-limit"
  | "gpl-only-helper"
  | "core-relocation"
  | "helper-not-allowed"
  | "context-access"
  | "packet-bounds"
  | "map-value-bounds"
  | "unreachable-code"
  | "return-value";

/** One known failure: its id, how the verifier words it, and the advice. */
export interface VerifierHint {
  readonly failure: VerifierFailure;
  readonly pattern: RegExp;
  readonly hint: string;
}

/** The hint table, most specific first. */
export const VERIFIER_HINTS: readonly VerifierHint[] = [
  {
    failure: "core-relocation",
    pattern: new RegExp(`invalid func unknown#${POISON_HELPER_ID}\\b`),
    hint: "a CO-RE relocation found no match in this kernel and the loader poisoned the instruction: guard the access with bpf_core_field_exists()/bpf_core_type_exists()",
  },
  {
    failure: "uninitialized-register",
    pattern: /^R\d+ !read_ok/m,
    hint: "a register is read before anything was written to it (helper calls clobber r1-r5)",
  },
  {
    failure: "null-dereference",
    pattern: /invalid mem access '\w*_or_null'/,
    hint: "the pointer may be NULL (bpf_map_lookup_elem() and similar helpers return NULL when there is nothing to return): check it with `if (!p) return 0;` before dereferencing it",
  },
  {
    failure: "scalar-dereference",
    pattern: /invalid mem access 'scalar'|invalid mem access 'inv'/,
    hint: "a plain number is used as a pointer: the verifier only lets you dereference pointers it handed you (context, map values, stack, packet); read other memory with bpf_probe_read_kernel()/bpf_probe_read_user()",
  },
  {
    failure: "gpl-only-helper",
    pattern: /GPL-restricted|non-GPL compatible/,
    hint: "the helper is GPL-only: declare a GPL-compatible license, e.g. `char LICENSE[] SEC(\"license\") = \"Dual MIT/GPL\"`",
  },
  {
    failure: "context-access",
    pattern: /invalid bpf_context access/,
    hint: "this program type may not read or write that context field (or not with that size)",
  },
  {
    failure: "packet-bounds",
    pattern: /invalid access to packet|offset is outside of the packet/,
    hint: "compare every packet pointer with data_end before reading through it, e.g. `if (data + 14 > data_end) return XDP_PASS;`",
  },
  {
    failure: "map-value-bounds",
    pattern: /unbounded memory access|value is outside of the allowed memory range|unbounded min value|invalid access to map value/,
    hint: "the offset into the map value is not bounded: check the index against the array size (`if (i >= 8) return 0;`) before using it",
  },
  {
    failure: "infinite-loop",
    pattern: /infinite loop detected|back-edge|loop is not bounded/,
    hint: "the verifier found a loop that does not make progress: give it a bound that changes each iteration (`for (i = 0; i < N; i++)`), or use bpf_loop()",
  },
  {
    failure: "program-too-large",
    pattern: /too large|BPF program is too complex|too many states|jump sequence of \d+ is too complex/,
    hint: "the verifier walked more than its limit of 1 million instructions: shorten loops (or use bpf_loop()), cut branches, or split the program with tail calls or global functions",
  },
  {
    failure: "stack-limit",
    pattern: /combined stack size|invalid (write|read) to stack|stack depth \d+ exceeds|stack frame/,
    hint: "BPF programs have 512 bytes of stack, shared by a chain of calls: keep large buffers in a per-CPU array map instead of local variables",
  },
  {
    failure: "unreachable-code",
    pattern: /unreachable insn/,
    hint: "remove dead code: every instruction must be reachable",
  },
  {
    failure: "return-value",
    pattern: /At program exit the register R0/,
    hint: "the program's return value is outside the range its type allows",
  },
  {
    failure: "helper-not-allowed",
    pattern: /cannot use helper|unknown func|invalid func/,
    hint: "this program type may not call that helper (or this kernel lacks it): pick a program type that allows it, or another helper; `tsbpf feature probe` lists what each type may call",
  },
];

/** The known failure described by the verifier's reason lines, if any. */
export function matchVerifierHint(reason: string): VerifierHint | undefined {
  return VERIFIER_HINTS.find((h) => h.pattern.test(reason));
}
