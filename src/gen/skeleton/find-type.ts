// Finds the BTF type a user named for the generator (`type event`,
// `event events=struct event`) as the codec finds it, and when it is missing
// adds why that usually happens — clang drops types used only through local
// variables — and the usual fix.
import type { Btf } from "../../btf/btf.js";
import { BtfError } from "../../btf/errors.js";
import { resolveTypeArg } from "../../btf/codec/lookup.js";

/** The id of the type `spelled` names ("struct event", "event", a typedef…); BtfError with the usual fix when absent. */
export function findNamedType(btf: Btf, spelled: string): number {
  try {
    return resolveTypeArg(btf, spelled);
  } catch (e) {
    if (!(e instanceof BtfError) || !e.message.startsWith("no type") || e.message.includes("forward-declared")) throw e;
    const tagged = /^(struct|union|enum)\s+(\S+)$/.exec(spelled.trim());
    const decl = tagged ? `${tagged[1]} ${tagged[2]}` : `struct ${spelled.trim()}`;
    const name = tagged ? tagged[2]! : spelled.trim();
    throw new BtfError(
      `${e.message}. clang keeps only the types that globals, maps and function signatures use: a type used only ` +
      `through local variables (a ring buffer record, say) is dropped. Keep it with a global of its pointer type: ` +
      `\`${decl} *unused_${name} __attribute__((unused));\``,
    );
  }
}
