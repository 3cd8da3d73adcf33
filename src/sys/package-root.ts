// Where the package is installed, found from this module's own location.
// The runtime ships both as tsc's per-file output (dist/src/**, used by the
// repository's tests) and as bundles (dist/lib/*, what the package exports),
// so a fixed "../../.." from the file would name the wrong directory from one
// of them; the nearest directory holding package.json is right from both.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The nearest directory above this module that holds a package.json (the package root). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return (root = dir);
    if (path.dirname(dir) === dir) return (root = path.resolve(start, "../../.."));
  }
}
