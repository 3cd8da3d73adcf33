// The documentation's own links resolve: every relative link in README.md
// and docs/**/*.md names a file of the repository, and every #anchor names a
// heading of its target (GitHub's slugs). External links are not fetched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { markdownFiles, ROOT } from "./pages.js";

/** Text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const m of withoutCode.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of withoutCode.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

interface Broken { file: string; link: string; why: string }

function brokenLinks(file: string): Broken[] {
  const text = prose(readFileSync(file, "utf8"));
  const links = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const broken: Broken[] = [];
  for (const link of links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto: …
    const [target = "", anchor] = link.split("#", 2);
    const resolved = target === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
    const rel = path.relative(ROOT, file);
    if (!resolved.startsWith(ROOT) || !existsSync(resolved)) {
      broken.push({ file: rel, link, why: "no such file" });
      continue;
    }
    if (anchor !== undefined && resolved.endsWith(".md") && !headingAnchors(readFileSync(resolved, "utf8")).has(anchor)) {
      broken.push({ file: rel, link, why: `no heading #${anchor} in ${path.relative(ROOT, resolved)}` });
    }
  }
  return broken;
}

test("every relative link and #anchor in README.md and docs/**/*.md resolves", () => {
  const files = markdownFiles();
  assert.ok(files.length > 1, "docs/ has markdown files");
  const broken = files.flatMap(brokenLinks);
  assert.deepEqual(broken, [], broken.map((b) => `${b.file}: ${b.link} (${b.why})`).join("\n"));
});

test("the anchor rule matches GitHub's slugs", () => {
  const anchors = headingAnchors("# Getting started\n## `gen build`: the bpf2go workflow\n## Notes\n## Notes\n```\n# not a heading\n```\n");
  assert.deepEqual([...anchors], ["getting-started", "gen-build-the-bpf2go-workflow", "notes", "notes-1"]);
});
