// tsbpf/vm runs in any JS runtime: nothing it imports, directly or through
// the asm and error layers, is a Node.js builtin or a package. Walks the
// import graph of tsc's output from src/vm/index.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../../src/vm/index.js", import.meta.url));

test("the vm's import graph holds no node: builtin and no package", () => {
  const seen = new Set<string>();
  const external: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec));
      else external.push(`${path.relative(path.dirname(ENTRY), file)} imports ${spec}`);
    }
  };
  visit(ENTRY);
  assert.deepEqual(external, []);
  assert.ok(seen.size >= 8, `walked ${seen.size} files`);
});
