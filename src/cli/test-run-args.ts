// bpftool's `prog run` arguments and output, shared by `tsbpf prog run` (the
// kernel's BPF_PROG_TEST_RUN) and `tsbpf vm run` (the user-space machine):
// data_in/ctx_in FILE ('-' is stdin), data_out/ctx_out FILE ('-' is stdout,
// as a hex dump, or byte arrays in JSON), their sizes, repeat N; then
// "Return value: R, duration: Dns".
import { readFileSync, writeFileSync } from "node:fs";
import { UsageError, type Args } from "./args.js";
import type { Context } from "./command.js";
import { hexDump } from "./output.js";
import type { TestRunOptions, TestRunResult } from "../program/test-run.js";
import { DEFAULT_DATA_OUT_SLACK } from "../program/test-run-limits.js";

const KEYWORDS = ["data_in", "data_out", "data_size_out", "ctx_in", "ctx_out", "ctx_size_out", "repeat"];

/** What the command line asked for: the test-run options and where outputs go. */
export interface TestRunRequest {
  readonly options: TestRunOptions;
  readonly dataOut: string | undefined;
  readonly ctxOut: string | undefined;
  readonly repeat: number;
}

function readInput(path: string): Uint8Array {
  return path === "-" ? readFileSync(0) : readFileSync(path);
}

/**
 * Parses the keywords after PROG. `extra` may take a word the caller knows
 * (e.g. `--jit`) and returns true when it did.
 */
export function parseTestRunArgs(args: Args, extra: (word: string) => boolean = () => false): TestRunRequest {
  let dataIn: string | undefined;
  let dataOut: string | undefined;
  let ctxIn: string | undefined;
  let ctxOut: string | undefined;
  let dataSizeOut: number | undefined;
  let ctxSizeOut: number | undefined;
  let repeat = 1;
  while (args.remaining) {
    const w = args.next("keyword");
    if (w === "data_in") dataIn = args.next("data_in FILE");
    else if (w === "data_out") dataOut = args.next("data_out FILE");
    else if (w === "data_size_out") dataSizeOut = args.uint("data_size_out");
    else if (w === "ctx_in") ctxIn = args.next("ctx_in FILE");
    else if (w === "ctx_out") ctxOut = args.next("ctx_out FILE");
    else if (w === "ctx_size_out") ctxSizeOut = args.uint("ctx_size_out");
    else if (w === "repeat") repeat = args.uint("repeat count");
    else if (!extra(w)) throw args.unknown("keyword", w, KEYWORDS);
  }
  if (dataIn === undefined && ctxIn === undefined) throw new UsageError("missing 'data_in FILE' (or 'ctx_in FILE')", args.topic);
  if (dataIn === "-" && ctxIn === "-") throw new UsageError("data_in and ctx_in cannot both read stdin", args.topic);
  const data = dataIn === undefined ? undefined : readInput(dataIn);
  const ctxBytes = ctxIn === undefined ? undefined : readInput(ctxIn);
  return {
    options: {
      ...(data === undefined ? {} : { data }),
      ...(ctxBytes === undefined ? {} : { ctx: ctxBytes }),
      repeat,
      dataOutSize: dataOut === undefined ? 0 : dataSizeOut ?? (data?.length ?? 0) + DEFAULT_DATA_OUT_SLACK,
      ctxOutSize: ctxOut === undefined ? 0 : ctxSizeOut ?? ctxBytes?.length ?? 0,
    },
    dataOut,
    ctxOut,
    repeat,
  };
}

/** Writes the outputs and prints the result as bpftool does. */
export function printTestRunResult(request: TestRunRequest, result: TestRunResult, ctx: Context): void {
  const stdoutParts: Record<string, unknown> = {};
  const emit = (path: string | undefined, bytes: Uint8Array | undefined, key: string): void => {
    if (path === undefined || bytes === undefined) return;
    // bpftool's forms: a hex dump in text, an array of byte values in JSON.
    if (path !== "-") writeFileSync(path, bytes);
    else if (ctx.out.json) stdoutParts[key] = Array.from(bytes);
    else ctx.out.line(hexDump(bytes));
  };
  emit(request.dataOut, result.dataOut, "data_out");
  emit(request.ctxOut, result.ctxOut, "context_out");
  if (ctx.out.json) ctx.out.jsonValue({ ...stdoutParts, retval: result.retval, duration: result.duration });
  else ctx.out.line(`Return value: ${result.retval}, duration${request.repeat > 1 ? " (average)" : ""}: ${result.duration}ns`);
}
