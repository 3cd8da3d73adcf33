// tsbpf/vm runs without the native addon, in any JS runtime. The machine
// itself (engines, memory, emulated maps, kernel helpers, contexts) imports
// no Node.js builtin and no package, directly or through the asm and error
// layers. Running an object's programs (VmCollection) needs the BTF layer
// for CO-RE, which uses node:buffer — present in Node.js, Deno and Bun — and
// nothing else. Walks the import graph of tsc's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const VM = fileURLToPath(new URL("../../src/vm/", import.meta.url));

/** Every non-relative import reachable from `entries`, as "file imports spec". */
function externalImports(entries: readonly string[]): { external: string[]; files: number } {
  const seen = new Set<string>();
  const external: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec));
      else external.push(`${path.relative(VM, file)} imports ${spec}`);
    }
  };
  for (const e of entries) visit(path.join(VM, e));
  return { external, files: seen.size };
}

test("the machine's import graph holds no node: builtin and no package", () => {
  const { external, files } = externalImports(["machine.js", "maps/create.js", "maps/registry.js", "kernel/helpers.js", "context/xdp.js", "context/skb.js"]);
  assert.deepEqual(external, []);
  assert.ok(files >= 20, `walked ${files} files`);
});

test("tsbpf/vm as a whole needs only node:buffer (through BTF), never the native addon", () => {
  const { external } = externalImports(["index.js"]);
  const specs = new Set(external.map((e) => e.split(" imports ")[1]));
  assert.deepEqual([...specs], ["node:buffer"], external.join("\n"));
});
