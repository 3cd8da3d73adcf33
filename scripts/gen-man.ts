// Writes the man pages (man/tsbpf.8, man/tsbpf-OBJECT.8) from the CLI's
// command table: `npm run man` after changing a synopsis, an example or the
// grammar of an object. test/cli/cli-man.test.ts fails when they drift.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { manPages } from "../src/cli/man.js";
import { loadAllObjects } from "../src/cli/table.js";

const MAN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../man");

const pages = manPages(await loadAllObjects());
mkdirSync(MAN_DIR, { recursive: true });
// Pages of objects that no longer exist go away.
for (const f of readdirSync(MAN_DIR)) if (f.endsWith(".8") && !pages.has(f)) rmSync(path.join(MAN_DIR, f));
for (const [file, text] of pages) writeFileSync(path.join(MAN_DIR, file), text);
process.stdout.write(`wrote ${pages.size} man pages to ${path.relative(process.cwd(), MAN_DIR) || "."}\n`);
