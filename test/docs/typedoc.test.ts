// The API reference builds from the doc comments with nothing to complain
// about: typedoc.json turns on validation (every export documented, no
// broken {@link}, nothing referenced that the entries do not export) and
// treats warnings as errors, so a new undocumented export fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

test("TypeDoc builds the API reference of every package entry without a warning", { timeout: 180_000 }, (t) => {
  const out = mkdtempSync(path.join(tmpdir(), "tsbpf-typedoc-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const typedoc = path.join(ROOT, "node_modules/typedoc/bin/typedoc");
  const r = spawnSync(process.execPath, [typedoc, "--out", out, "--logLevel", "Warn"], {
    cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const report = `${r.stdout}\n${r.stderr}`.trim();
  assert.equal(r.status, 0, `typedoc failed:\n${report}`);
  assert.doesNotMatch(report, /\[warning\]|\[error\]/, report);
  assert.ok(existsSync(path.join(out, "index.html")), "the reference has an index page");
});

test("TypeDoc's entry points are the package's: every subpath of package.json exports is documented", () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | { types?: string }> };
  const config = JSON.parse(readFileSync(path.join(ROOT, "typedoc.json"), "utf8")) as { entryPoints: string[] };
  const sources = Object.values(manifest.exports)
    .flatMap((target) => (typeof target === "object" && target.types ? [target.types] : []))
    .map((types) => types.replace(/^\.\/dist\//, "").replace(/\.d\.ts$/, ".ts"));
  assert.deepEqual([...config.entryPoints].sort(), [...sources].sort());
});
