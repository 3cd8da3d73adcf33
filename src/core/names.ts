// Essential names: CO-RE ignores a "___flavor" suffix when matching local
// types, fields and enumerators against the target (task_struct___v1 is a
// task_struct), so one object can describe several kernel layouts.

/** True when `s[i..]` is "X___Y" with X and Y not underscores (libbpf's flavor separator). */
function isFlavorSeparator(s: string, i: number): boolean {
  return s[i] !== "_" && s[i + 1] === "_" && s[i + 2] === "_" && s[i + 3] === "_" && s[i + 4] !== "_" && i + 4 < s.length;
}

/** Length of `name` without its last "___flavor" suffix. */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (isFlavorSeparator(name, i)) return i + 1;
  }
  return name.length;
}

/** `name` without its last "___flavor" suffix ("task_struct___v1" → "task_struct"). */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

/** True when both names are equal once their flavor suffixes are dropped. */
export function sameEssentialName(a: string, b: string): boolean {
  const n = essentialNameLength(a);
  return n === essentialNameLength(b) && a.slice(0, n) === b.slice(0, n);
}
