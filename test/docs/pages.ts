// The documentation's pages, and the BPF programs they build, built the way it says: for each
// `tsbpf gen build SRC.bpf.c -o DIR [event MAP=TYPE]…` command of a page, the
// page's own complete C program (the ```c block with a license) — or, for a
// page that builds one of the examples, examples/NAME/NAME.bpf.c — compiled
// with buildObject into NAME.bpf.o and NAME.skel.ts.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildObject, type SkeletonOptions } from "../../src/gen/index.js";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    // docs/api is TypeDoc's output (gitignored), not hand-written markdown.
    if (statSync(full).isDirectory()) return full === path.join(ROOT, "docs/api") ? [] : walk(full);
    return name.endsWith(".md") ? [full] : [];
  });
}

/** The documentation's pages: README.md and docs/**\/*.md. */
export function markdownFiles(): string[] {
  return [path.join(ROOT, "README.md"), ...walk(path.join(ROOT, "docs"))];
}

/** One program a page builds. */
export interface PageProgram {
  readonly page: string;
  readonly name: string;
  readonly source: string;
  readonly skeleton: SkeletonOptions;
}

/** The programs the pages build, by NAME. */
export function pagePrograms(): Map<string, PageProgram> {
  const programs = new Map<string, PageProgram>();
  for (const file of markdownFiles()) {
    const text = readFileSync(file, "utf8");
    const page = path.relative(ROOT, file);
    // `gen build SRC.bpf.c -o DIR …`, or `gen skeleton NAME.bpf.o …` of an object the page (or an example) builds.
    for (const m of text.matchAll(/tsbpf gen (?:build \S*?([\w-]+)\.bpf\.c -o \S+|skeleton \S*?([\w-]+)\.bpf\.o)((?: event \S+=\S+)*)/g)) {
      const name = (m[1] ?? m[2])!;
      if (programs.has(name)) continue;
      const eventTypes = Object.fromEntries([...m[3]!.matchAll(/event (\S+)=(\S+)/g)].map((e) => [e[1]!, e[2]!]));
      const own = /^```c\n([\s\S]*?SEC\("license"\)[\s\S]*?)^```/m.exec(text)?.[1];
      const example = path.join(ROOT, "examples", name, `${name}.bpf.c`);
      const source = own ?? (existsSync(example) ? readFileSync(example, "utf8") : undefined);
      // A command shown only as CLI usage (no program on the page, no such example) builds nothing here.
      if (source === undefined) continue;
      programs.set(name, { page, name, source, skeleton: { eventTypes } });
    }
  }
  return programs;
}

/** Builds `program` into `dir`/bpf (NAME.bpf.o, NAME.skel.ts importing tsbpf from `importFrom`); `gen skeleton` pages put the module beside their code, so it is copied to `dir` too. */
export async function buildPageProgram(program: PageProgram, dir: string, importFrom = "tsbpf"): Promise<{ objectPath: string; skeletonPath: string }> {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  const source = path.join(dir, "src", `${program.name}.bpf.c`);
  writeFileSync(source, program.source);
  const built = await buildObject(source, {
    outputDir: path.join(dir, "bpf"), cacheDir: path.join(dir, "cache"), skeleton: { ...program.skeleton, importFrom },
  });
  copyFileSync(built.skeletonPath, path.join(dir, `${program.name}.skel.ts`));
  return { objectPath: built.objectPath, skeletonPath: built.skeletonPath };
}
