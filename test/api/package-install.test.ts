// The package as a user gets it: `npm pack` of this checkout (the `files`
// whitelist, nothing of the tests), installed from the tarball into a fresh
// project, and the README's library examples, taken from the README itself,
// type-checked against the installed declarations and run there on the real
// kernel. The tarball is packed with --ignore-scripts from the dist/ this run
// built (packing with scripts would rebuild the addon and dist/ under the
// running suite); prebuilds/ goes in when `npm run prepack` made it, and
// otherwise the install compiles the addon (node-gyp-build's fallback).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAX_TARBALL_BYTES = 1024 * 1024;

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
  assert.equal(r.status, 0, `${command} ${args.join(" ")} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The README's ```ts blocks that start with an import from "tsbpf". */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/```ts\n(import [^\n]* from "tsbpf";\n[\s\S]*?)```/g)].map((m) => m[1]!);
}

// What each runnable example must leave behind, printed before its `using`s dispose.
const CHECKS: { marker: RegExp; check: string; expected: string }[] = [
  {
    marker: /Map\.create\(/,
    check: `console.log(String(new DataView(counts.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true)));`,
    expected: "1000",
  },
  { marker: /globals\.bpf\.o/, check: `console.log(String(objects.variable("result").getNumber()));`, expected: "8" },
  {
    marker: /objects\.attach\(\)/,
    check: `console.log(links.byName.has("enter_openat"), links.skipped.length, typeof records);`,
    expected: "true 0 number",
  },
];

test("npm pack → a tarball under 1 MB with no tests, installed into a fresh project, runs the README examples", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-install-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const packed = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT).stdout) as
    { filename: string; files: { path: string }[] }[];
  const tarball = path.join(dir, packed[0]!.filename);
  const files = packed[0]!.files.map((f) => f.path);
  assert.ok(statSync(tarball).size < MAX_TARBALL_BYTES, `tarball is ${statSync(tarball).size} bytes`);
  const unwanted = files.filter((f) => /^(test|bench|examples|scripts|docs|build|dist\/(test|bench|examples|scripts))\/|\.map$|\.ts$/.test(f) && !f.endsWith(".d.ts"));
  assert.deepEqual(unwanted, []);
  // The runtime ships bundled (dist/lib/, scripts/bundle.ts); tsc's per-file JavaScript stays home, its declarations ship.
  assert.deepEqual(files.filter((f) => f.startsWith("dist/src/") && !f.endsWith(".d.ts")), []);
  const needed = ["LICENSE", "CHANGELOG.md", "README.md", "native/tsbpf.c", "binding.gyp", "dist/src/index.d.ts", "dist/src/btf/index.d.ts",
    "dist/lib/tsbpf.js", "dist/lib/index.js", "dist/lib/btf.js", "dist/lib/sys.js", "dist/lib/cli.js"];
  for (const file of needed) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }

  const project = path.join(dir, "project");
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "readme-user", private: true, type: "module" }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], project);
  const installed = path.join(project, "node_modules", "tsbpf");
  const prebuilt = files.some((f) => f.startsWith(`prebuilds/linux-${process.arch}/`));
  // A matching prebuild means nothing was compiled; otherwise the install compiled the addon.
  assert.equal(existsSync(path.join(installed, "build", "Release", "tsbpf.node")), !prebuilt);

  // The README's examples refer to the repository's fixtures by relative path.
  cpSync(path.join(ROOT, "test/fixtures/collection/globals.bpf.o"), path.join(project, "test/fixtures/collection/globals.bpf.o"));
  cpSync(path.join(ROOT, "examples/opensnoop/opensnoop.bpf.o"), path.join(project, "examples/opensnoop/opensnoop.bpf.o"));
  const examples = readmeExamples();
  const runnable = CHECKS.map(({ marker, check, expected }, i) => {
    const source = examples.find((e) => marker.test(e));
    assert.ok(source, `the README has an example matching ${marker}`);
    writeFileSync(path.join(project, `example${i}.ts`), `${source}\n${check}\n`);
    return { file: `example${i}.js`, expected };
  });

  // Every subpath resolves, for TypeScript ("types") and for Node ("default").
  writeFileSync(path.join(project, "subpaths.ts"), `
import { Btf, BtfError, dumpCText } from "tsbpf/btf";
import { ElfFile } from "tsbpf/elf";
import { dumpXlated } from "tsbpf/asm";
import { loadObjectSpec } from "tsbpf/object";
import { resolveCoreRelocations } from "tsbpf/core";
import { BpfError, FD } from "tsbpf/sys";
import { Btf as RootBtf, BpfError as RootBpfError } from "tsbpf";
const spec = loadObjectSpec("test/fixtures/collection/globals.bpf.o");
const program = [...spec.programs.values()][0]!;
console.log([typeof Btf, typeof ElfFile, typeof resolveCoreRelocations, typeof FD].join(","),
  dumpCText(spec.btf!).includes("struct"), dumpXlated(program.instructions).includes("exit"),
  // One class identity whichever subpath a name comes from.
  Btf === RootBtf && BpfError === RootBpfError && spec.btf instanceof RootBtf && new BtfError("x") instanceof RootBpfError);
`);
  runnable.push({ file: "subpaths.js", expected: "function,function,function,function true true true" });

  // Type-checked against the installed declarations (this is what a TypeScript user sees), then run.
  writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023", "esnext.disposable"], strict: true,
      types: ["node"], typeRoots: [path.join(ROOT, "node_modules/@types")], skipLibCheck: false,
    },
    include: ["example*.ts", "subpaths.ts"],
  }));
  run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], project);
  for (const { file, expected } of runnable) {
    assert.equal(run(process.execPath, [file], project).stdout.trim(), expected, file);
  }

  // The installed CLI and require() of the ES module (Node ≥ 20.19, as `engines` says).
  const dump = run(path.join(project, "node_modules/.bin/tsbpf"), ["btf", "dump", "file", "test/fixtures/collection/globals.bpf.o", "format", "c"], project);
  assert.match(dump.stdout, /#ifndef __VMLINUX_H__/);
  const required = run(process.execPath, ["-e", `process.stdout.write(typeof require("tsbpf").Collection.load)`], project);
  assert.equal(required.stdout, "function");
});
