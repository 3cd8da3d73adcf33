// The TypeScript examples of the documentation type-check against the
// library as it is: every ```ts block of README.md and docs/**/*.md is
// compiled under --strict, importing "tsbpf" from src/. A block may use a few
// names it does not define (an `objects` collection, a `program`, a
// `signal` …, declared below), standing for what the surrounding prose set up.
// Blocks that import a generated skeleton (`./NAME.skel.js`, `./bpf/…`) get it
// built from the page's own program with the page's own `gen build` (or
// `gen skeleton`) command
// (test/docs/pages.ts). README's library blocks also run in
// test/api/package-install.test.ts; getting-started's flow runs in
// test/docs/getting-started.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPageProgram, markdownFiles, pagePrograms, ROOT } from "./pages.js";

/** Names an example may use without defining them, and what they stand for. */
const CONTEXT: Readonly<Record<string, string>> = {
  objects: "__t.Collection",
  spec: "__t.ObjectSpec",
  program: "__t.Program",
  other: "__t.Program",
  link: "__t.Link",
  signal: "AbortSignal",
  pid: "number",
  reuseportFd: "number",
  handle: "(record: unknown) => void",
  record: "Uint8Array",
  ringMemory: "DataView",
  offset: "number",
};

interface Example { file: string; line: number; code: string }

function examples(): Example[] {
  return markdownFiles().flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => ({
      file: path.relative(ROOT, file),
      line: text.slice(0, m.index).split("\n").length + 1,
      code: m[1]!,
    }));
  });
}

/** The example as a module: its imports, the context it does not define itself, its code. */
function moduleOf(example: Example): string {
  const lines = example.code.split("\n");
  const imports = lines.filter((l) => l.startsWith("import "));
  const body = lines.filter((l) => !l.startsWith("import "));
  const context = Object.entries(CONTEXT)
    .filter(([name]) => !new RegExp(`\\b(const|let|using|function)\\s+${name}\\b`).test(example.code))
    .map(([name, type]) => `declare const ${name}: ${type};`);
  return [`import type * as __t from "tsbpf";`, ...imports, ...context, ...body, "export {};"].join("\n");
}

test("every TypeScript example in README.md and docs/ type-checks against the library", { timeout: 300_000 }, async (t) => {
  const checked = examples();
  assert.ok(checked.length >= 20, `found ${checked.length} examples`);
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-doc-examples-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The skeletons the examples import, built from the pages' own programs and commands.
  const programs = pagePrograms();
  const wanted = new Set(checked.flatMap((e) => [...e.code.matchAll(/from "\.\/(?:bpf\/)?([\w-]+)\.skel\.js"/g)].map((m) => m[1]!)));
  for (const name of wanted) {
    const program = programs.get(name);
    assert.ok(program, `an example imports ${name}.skel.js but no page says how to build it (tsbpf gen build … -o … / gen skeleton NAME.bpf.o)`);
    await buildPageProgram(program, dir);
  }
  const names = new Map<string, Example>();
  checked.forEach((example, i) => {
    const name = `example${String(i).padStart(3, "0")}.ts`;
    names.set(name, example);
    writeFileSync(path.join(dir, name), moduleOf(example));
  });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023", "esnext.disposable"], strict: true,
      noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules/@types")],
      paths: { "tsbpf": [path.join(ROOT, "src/index.ts")], "tsbpf/*": [path.join(ROOT, "src/*/index.ts")] },
    },
    include: ["example*.ts", "*.skel.ts", "bpf/*.ts"],
  }));
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir], { encoding: "utf8" });
  // Name each error by the markdown file and line of its example.
  const report = r.stdout.replace(/^\S*?(example\d+\.ts)\((\d+),\d+\)/gm, (whole, name: string, line: string) => {
    const example = names.get(name);
    return example ? `${example.file} (example at line ${example.line}, line ${line} of the generated module)` : whole;
  });
  assert.equal(r.status, 0, `examples that do not type-check:\n${report}${r.stderr}`);
});
