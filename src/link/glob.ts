// libbpf's glob matching, shared by kprobe.multi (kernel function names) and
// uprobe.multi (ELF symbol names), so both accept exactly the same patterns.

/** libbpf's glob_match: '*' matches any run of characters (also none), '?' exactly one; nothing else is special. */
export function globMatch(text: string, pattern: string): boolean {
  // Iterative matching with one backtrack point (the last '*'): linear in practice, never exponential.
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
