// clang's dependency file (-MD -MF): the make rule `obj: src hdr1 hdr2 …`
// listing every file the compile read, so the up-to-date check covers headers
// included from anywhere (vmlinux.h, libbpf's, the user's).
import path from "node:path";

/**
 * The prerequisites of the first rule in a make-style dependency file, as
 * absolute paths (relative ones resolved against `baseDir`, the compiler's
 * working directory). Understands line continuations and the escapes clang
 * writes: `\ ` (space), `\#`, `$$`.
 */
export function parseDepfile(text: string, baseDir: string): string[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const rule = joined.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  const words: string[] = [];
  let word = "";
  let sawTargetColon = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i]!;
    if (c === "\\" && i + 1 < rule.length && (rule[i + 1] === " " || rule[i + 1] === "#" || rule[i + 1] === "\\")) {
      word += rule[++i];
    } else if (c === "$" && rule[i + 1] === "$") {
      word += "$";
      i++;
    } else if (c === " " || c === "\t") {
      if (word) words.push(word);
      word = "";
    } else if (c === ":" && !sawTargetColon && (i + 1 === rule.length || rule[i + 1] === " " || rule[i + 1] === "\t")) {
      // The target ends at the first ": " (a colon inside a path is part of it).
      sawTargetColon = true;
      word = "";
      words.length = 0;
    } else {
      word += c;
    }
  }
  if (word) words.push(word);
  return [...new Set(words.map((w) => path.resolve(baseDir, w)))];
}
