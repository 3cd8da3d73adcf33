// VerifierError: the kernel refused a program and said why in its log.
import { BpfError } from "../sys/errors.js";
import { errnoName } from "../sys/errno.js";

// Lines the verifier prints after the verdict; they are statistics, not the reason.
const trailer = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|peak_states|mark_read)/;
const instructionLine = /^(\d+): \([0-9a-f]{2}\)/;

// Advice for the rejections people meet most; matched against the reason line.
const hints: readonly [RegExp, string][] = [
  [/^R(\d+) !read_ok/, "a register is read before anything was written to it (helper calls clobber r1-r5)"],
  [/invalid mem access 'scalar'/, "a plain number is used as a pointer: arithmetic or a spill lost the pointer type, or a value was never a pointer"],
  [/invalid mem access 'map_value_or_null'|_or_null/, "check the pointer returned by the helper for NULL before dereferencing it"],
  [/GPL-restricted|non-GPL compatible/, "the helper is GPL-only: use a GPL-compatible license string such as \"GPL\" or \"Dual MIT/GPL\""],
  [/invalid bpf_context access/, "this program type may not read or write that context field (or not with that size)"],
  [/unbounded min value|value is outside of the allowed memory range|invalid access to (map value|packet)/, "bound the offset or index with an explicit comparison before the access"],
  [/back-edge|infinite loop detected|loop is not bounded/, "the verifier could not prove the loop terminates: bound it, or use bpf_loop()"],
  [/too large|BPF program is too complex|too many states/, "the program exceeds a verifier limit: split it (tail calls, subprograms) or simplify branches"],
  [/unreachable insn/, "remove dead code: every instruction must be reachable"],
  [/At program exit the register R0/, "the program's return value is outside the range its type allows"],
  [/unknown func|invalid func/, "the helper is not available to this program type or on this kernel"],
];

/** A short piece of advice for a verifier reason, when one is known. */
export function verifierHint(reason: string): string | undefined {
  for (const [pattern, hint] of hints) if (pattern.test(reason)) return hint;
  return undefined;
}

/** What a verifier log says, reduced to the lines a human reads first. */
export interface VerifierLogSummary {
  /** The last meaningful line: the verifier's reason for rejecting. */
  reason: string;
  /** Index of the last instruction the verifier printed before giving up. */
  instruction: number | undefined;
  /** That instruction as the verifier printed it ("12: (61) r0 = *(u32 *)(r1 +4)"). */
  instructionText: string | undefined;
  /** The last C source line the log showed (from line info), without "; ". */
  sourceLine: string | undefined;
}

/** Picks the reason, the failing instruction and the source line out of a verifier log. */
export function summarizeVerifierLog(log: string): VerifierLogSummary {
  const lines = log.split("\n");
  let end = lines.length - 1;
  while (end >= 0 && (lines[end]!.trim() === "" || trailer.test(lines[end]!))) end--;
  const reason = end >= 0 ? lines[end]!.trim() : "";
  let instruction: number | undefined;
  let instructionText: string | undefined;
  let sourceLine: string | undefined;
  for (let i = end; i >= 0 && (instruction === undefined || sourceLine === undefined); i--) {
    const line = lines[i]!;
    if (instruction === undefined) {
      const m = instructionLine.exec(line);
      if (m) {
        instruction = Number(m[1]);
        instructionText = line.trim();
        continue;
      }
    }
    // Source lines precede their instructions, so look for one only once the instruction is found.
    if (instruction !== undefined && sourceLine === undefined && line.startsWith("; ")) sourceLine = line.slice(2).trim();
  }
  return { reason, instruction, instructionText, sourceLine };
}

/** The verifier rejected a program; `log` holds its complete, untruncated log. */
export class VerifierError extends BpfError {
  /** The whole verifier log. */
  readonly log: string;
  /** Short account of the failure: reason and failing instruction. */
  readonly summary: string;
  /** The verifier's reason (the last meaningful log line). */
  readonly reason: string;
  /** Index of the failing instruction, when the log shows one. */
  readonly instruction: number | undefined;
  /** The C source line of the failing instruction, when line info was loaded. */
  readonly sourceLine: string | undefined;
  /** Advice for common rejections, when the reason is a known one. */
  readonly hint: string | undefined;

  constructor(programName: string, errno: number, log: string) {
    const s = summarizeVerifierLog(log);
    const at = s.instructionText ? ` (at ${s.instructionText})` : "";
    const src = s.sourceLine ? ` [source: ${s.sourceLine}]` : "";
    const summary = `${s.reason || "verifier rejected the program"}${at}${src}`;
    const hint = verifierHint(s.reason);
    super(
      "VERIFIER",
      `BPF_PROG_LOAD (${programName}): ${errnoName(errno)}: the verifier rejected the program: ${summary}` +
        (hint ? `; hint: ${hint}` : "") +
        " — the full verifier log is in the error's `log` property",
      { operation: "BPF_PROG_LOAD", errno },
    );
    this.log = log;
    this.summary = summary;
    this.reason = s.reason;
    this.instruction = s.instruction;
    this.sourceLine = s.sourceLine;
    this.hint = hint;
  }
}
