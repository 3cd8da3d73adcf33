// An example tool run as a child process, as users run it: its output
// collected, a promise that resolves once it says it is tracing (a line on
// stderr), and one that resolves with its exit code and whole output.
import { spawn, type ChildProcess } from "node:child_process";

export interface Run {
  child: ChildProcess;
  /** Resolves once the tool says it is tracing. */
  ready: Promise<void>;
  /** Resolves with the exit code and the whole output. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `command args`; `readyOn` is the stderr text that says it is tracing. */
export function run(command: string, args: string[], readyOn: RegExp | undefined, options: { uid?: number } = {}): Run {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let stdout = "";
  let stderr = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (readyOn?.test(stderr)) markReady();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => {
      markReady();
      resolve({ code, stdout, stderr });
    });
  });
  return { child, ready, done };
}

