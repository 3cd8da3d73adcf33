// Running an example tool (dist/examples/NAME/main.js) as users do: as a
// child process that says on stderr when it is tracing, stopped with SIGINT,
// and afterwards checked with bpftool for anything its programs left attached.
// Oracle tools (libbpf-tools) run the same way, to compare outputs.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readdirSync, readFileSync } from "node:fs";
import { attachmentsOf } from "./attached.js";

/** A running tool. */
export interface ToolRun {
  child: ChildProcess;
  /** Resolves once the tool printed `readyOn` on stderr (or exited). */
  ready: Promise<void>;
  /** Resolves with the exit code and the whole output. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Path of an example's compiled main. */
export function exampleMain(name: string): string {
  return fileURLToPath(new URL(`../../examples/${name}/main.js`, import.meta.url));
}

/** Tools still running; a failed test must not leave one attached after the test process ends. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/**
 * Starts `command args` (an example, or an oracle tool such as libbpf-tools'
 * opensnoop) with its output collected; `readyOn` is the stderr text that
 * says it is tracing (none: ready at once).
 */
export function run(command: string, args: string[], readyOn?: RegExp): ToolRun {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  if (!readyOn) markReady();
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

/** Starts example `name` with `args`. */
export function startTool(name: string, args: string[], readyOn?: RegExp): ToolRun {
  return run(process.execPath, [exampleMain(name), ...args], readyOn);
}

/** Ids of the BPF programs process `pid` holds open, from the kernel's fdinfo of its fds ("prog_id:" lines). */
export function programIdsOf(pid: number): number[] {
  const ids = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** The attachments (links, perf events) still carrying any of these programs. */
export function leftAttached(progIds: readonly number[]): unknown[] {
  return progIds.flatMap((id) => {
    const { links, perf } = attachmentsOf(id);
    return [...links, ...perf];
  });
}
