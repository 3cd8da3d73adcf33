// VerifierError: the kernel refused a program and said why in its log. The
// log can run to megabytes; this file picks out what a person acts on — the
// reason, the failing instruction, the C source line (from line info) and a
// hint — and keeps the whole log available.
import { BpfError } from "../sys/errors.js";
import { errnoName } from "../sys/errno.js";
import { matchVerifierHint, type VerifierFailure } from "./verifier-hints.js";

// The program layer's error code: the verifier refused a program.
declare module "../sys/errors.js" {
  interface ErrorCodes {
    VERIFIER: true;
  }
}

// Lines the verifier prints after the verdict; they are statistics, not the reason.
const trailer = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|peak_states|mark_read)/;
const instructionLine = /^(\d+): \([0-9a-f]{2}\)/;
// Line info in the log: "; <C text> @ <file>:<line>" (the "@ file:line" part since Linux 6.3).
const sourceLocation = / @ ([^\s@]+):(\d+)$/;
// How many instructions before the failing one the summary shows (their register state explains it).
const CONTEXT_INSTRUCTIONS = 2;

/** Advice for a verifier reason, when the failure is a known one. */
export function verifierHint(reason: string): string | undefined {
  return matchVerifierHint(reason)?.hint;
}

/** What a verifier log says, reduced to the lines a human reads first. */
export interface VerifierLogSummary {
  /** The verifier's reason for rejecting (the first line of its verdict). */
  reason: string;
  /** Index of the failing instruction, when the log shows one. */
  instruction: number | undefined;
  /** That instruction as the verifier printed it ("12: (61) r0 = *(u32 *)(r1 +4)"). */
  instructionText: string | undefined;
  /** The C source line of that instruction, without "; " ("return *p; @ prog.c:10"). */
  sourceLine: string | undefined;
}

interface LogAnalysis extends VerifierLogSummary {
  /** Every line of the verdict (the reason and what the verifier added to it). */
  verdict: string[];
  /** The log lines worth showing: source, the instructions leading up, the failing one, the verdict. */
  excerpt: string[];
}

/** The text of an instruction line without the register state the verifier appends after ";". */
function instructionOnly(line: string): string {
  const semi = line.indexOf(";");
  return (semi < 0 ? line : line.slice(0, semi)).trim();
}

function analyzeLog(log: string): LogAnalysis {
  const lines = log.split("\n");
  let end = lines.length - 1;
  while (end >= 0 && (lines[end]!.trim() === "" || trailer.test(lines[end]!))) end--;
  // The verdict is what follows the last instruction the verifier walked.
  let last = -1;
  for (let i = end; i >= 0; i--) {
    if (instructionLine.test(lines[i]!)) {
      last = i;
      break;
    }
  }
  let verdict = lines.slice(last + 1, end + 1).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("; "));
  if (verdict.length === 0 && end >= 0) verdict = [lines[end]!.trim()];
  const reason = verdict[0] ?? "";

  let failing = last;
  // "infinite loop detected at insn 3" names the back-edge, not the last instruction printed.
  const named = /\bat insn (\d+)\b/.exec(reason);
  if (named) {
    for (let i = last; i >= 0; i--) {
      if (lines[i]!.startsWith(`${named[1]}: (`)) {
        failing = i;
        break;
      }
    }
  }
  let instruction: number | undefined;
  let instructionText: string | undefined;
  let sourceLine: string | undefined;
  const excerpt: string[] = [];
  if (failing >= 0) {
    instruction = Number(instructionLine.exec(lines[failing]!)![1]);
    instructionText = instructionOnly(lines[failing]!);
    // Source lines precede their instructions; collect a little context on the way up.
    const context: string[] = [];
    for (let i = failing - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (line.startsWith("; ")) {
        sourceLine = line.slice(2).trim();
        break;
      }
      if (instructionLine.test(line) && context.length < CONTEXT_INSTRUCTIONS) context.unshift(line.trim());
      else if (!instructionLine.test(line)) break;
    }
    if (sourceLine) excerpt.push(`; ${sourceLine}`);
    excerpt.push(...context, instructionText);
  }
  excerpt.push(...verdict);
  return { reason, instruction, instructionText, sourceLine, verdict, excerpt };
}

/** Picks the reason, the failing instruction and the source line out of a verifier log. */
export function summarizeVerifierLog(log: string): VerifierLogSummary {
  const { reason, instruction, instructionText, sourceLine } = analyzeLog(log);
  return { reason, instruction, instructionText, sourceLine };
}

/** "prog.c:12" and "return *p;" from "return *p; @ prog.c:12". */
function splitSourceLine(sourceLine: string): { text: string; location: string | undefined } {
  const m = sourceLocation.exec(sourceLine);
  return m ? { text: sourceLine.slice(0, m.index).trim(), location: `${m[1]}:${m[2]}` } : { text: sourceLine, location: undefined };
}

// The verifier checks global functions after the main program, each on its own, announcing each one.
const validatingGlobal = /^Validating (\w+)\(\) func#\d+\.\.\.$/gm;

/**
 * A NULL pointer in a global function is usually an argument: the verifier
 * checks the function alone, where a pointer argument may be NULL whatever the
 * callers pass, so the usual "check it for NULL" advice points at the wrong code.
 */
function globalFunctionHint(log: string, known: { failure: VerifierFailure; hint: string } | undefined): { failure: VerifierFailure; hint: string } | undefined {
  if (known?.failure !== "null-dereference") return known;
  const functions = [...log.matchAll(validatingGlobal)];
  const name = functions[functions.length - 1]?.[1];
  if (name === undefined) return known;
  return {
    failure: known.failure,
    hint: `the pointer may be NULL: '${name}' is a global function, which the verifier checks on its own, where a pointer argument may be NULL ` +
      "whatever its callers pass; check the argument inside the function, or make the function static or `__hidden` " +
      "(the loader then has it verified with each caller)",
  };
}

/** The rejected program; `log` holds the verifier's complete, untruncated log. */
export class VerifierError extends BpfError {
  /** The whole verifier log. */
  readonly log: string;
  /**
   * The few log lines that explain the failure, one per line: the C source
   * line, the instructions leading up to the failing one, the failing one
   * (prefixed "at "), and the verifier's verdict.
   */
  readonly summary: string;
  /** The verifier's reason (the first line of its verdict). */
  readonly reason: string;
  /** Index of the failing instruction, when the log shows one. */
  readonly instruction: number | undefined;
  /** The failing instruction as the verifier printed it, without register state. */
  readonly instructionText: string | undefined;
  /** The C source line of the failing instruction, "text @ file:line", when line info was loaded. */
  readonly sourceLine: string | undefined;
  /** "file.c:12" of the failing instruction (from line info, Linux 6.3+ logs). */
  readonly sourceLocation: string | undefined;
  /** Which known failure this is, when it is a known one. */
  readonly failure: VerifierFailure | undefined;
  /** Advice for common rejections, when the reason is a known one. */
  readonly hint: string | undefined;

  constructor(programName: string, errno: number, log: string) {
    const a = analyzeLog(log);
    const known = globalFunctionHint(log, matchVerifierHint(a.verdict.join("\n")));
    const source = a.sourceLine ? splitSourceLine(a.sourceLine) : undefined;
    const reason = a.reason || "the verifier rejected the program without saying why";
    // One paragraph (the CLI prints it as is): what, where in the code, what to do.
    let message = `BPF_PROG_LOAD (${programName}): ${errnoName(errno)}: the verifier rejected the program: ${reason}`;
    if (a.instructionText) message += ` (at ${a.instructionText})`;
    if (a.sourceLine) message += `; source: ${a.sourceLine}`;
    if (known) message += `; hint: ${known.hint}`;
    message += ". The full verifier log is in the error's `log` property";
    super("VERIFIER", message, { operation: "BPF_PROG_LOAD", errno });
    this.log = log;
    this.summary = a.excerpt.map((l) => (l === a.instructionText ? `at ${l}` : l)).join("\n");
    this.reason = a.reason;
    this.instruction = a.instruction;
    this.instructionText = a.instructionText;
    this.sourceLine = a.sourceLine;
    this.sourceLocation = source?.location;
    this.failure = known?.failure;
    this.hint = known?.hint;
  }
}
