// Finding executables the way a shell does (PATH, or a path taken as is),
// without running them: discovery must cost no process start.
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** True for an existing regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The directories of $PATH in `env`, in order, absolute. */
export function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? "").split(":").filter((d) => d !== "").map((d) => path.resolve(d));
}

/** A command name resolved on PATH (a name containing "/" is taken as a path), or undefined. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes("/")) return isExecutable(command) ? path.resolve(command) : undefined;
  for (const dir of pathDirs(env)) {
    const file = path.join(dir, command);
    if (isExecutable(file)) return file;
  }
  return undefined;
}
