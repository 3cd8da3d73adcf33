// docs/guides/unit-testing.md, run as written: each TypeScript block is
// transpiled, pointed at this build (for "tsbpf" and "tsbpf/vm") and at the
// xdp-counter example's object, and run — the unit test with node --test,
// the others as scripts. The page's claims (the counts, XDP_PASS, the same
// calls on the kernel and in the machine) hold or this fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { ROOT } from "./pages.js";

const PAGE = path.join(ROOT, "docs/guides/unit-testing.md");
const OBJECT = path.join(ROOT, "examples/xdp-counter/xdp-counter.bpf.o");

/** A block as an ES module of plain JavaScript that imports this build. */
function runnable(code: string): string {
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const url = (p: string): string => pathToFileURL(path.join(ROOT, p)).href;
  return js
    .replaceAll('from "tsbpf/vm"', `from "${url("dist/src/vm/index.js")}"`)
    .replaceAll('from "tsbpf"', `from "${url("dist/src/index.js")}"`)
    .replaceAll('"bpf/xdp-counter.bpf.o"', JSON.stringify(OBJECT));
}

test("every TypeScript block of the unit-testing guide runs as written", (t) => {
  const blocks = [...readFileSync(PAGE, "utf8").matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
  assert.ok(blocks.length >= 3);
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-guide-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  blocks.forEach((code, i) => {
    const file = path.join(dir, `block${i}.mjs`);
    writeFileSync(file, runnable(code));
    const isTest = code.includes('from "node:test"');
    // Without NODE_TEST_CONTEXT the child's runner reports in TAP, not to this runner.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, isTest ? ["--test", "--test-reporter=tap", file] : [file], { encoding: "utf8", timeout: 120_000, env });
    assert.equal(r.status, 0, `block ${i + 1}:\n${r.stdout}\n${r.stderr}`);
    if (isTest) assert.match(r.stdout, /# pass 1\b/);
  });
});
