// bpftool's BTF-formatted map dumps (`bpftool map dump id N -j`, the
// "formatted" member) as an oracle for decoded values: the decoded value is
// printed the way bpftool prints its type (codec-bpftool.ts) and both are
// compared as JSON values. bpftool prints u64s as bare JSON numbers, which
// JSON.parse would round, so both sides are parsed with long integers kept
// as strings.
import assert from "node:assert/strict";
import type { Btf } from "../../src/btf/btf.js";
import { bpftool } from "./cli.js";
import { bpftoolFormatted } from "./codec-bpftool.js";

/** One element of a dump: key and value (or per-CPU values) as bpftool formats them. */
export interface FormattedElement {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly values?: readonly { cpu: number; value: unknown }[];
}

/** JSON.parse that keeps integers of 16+ digits as strings (exact for u64/s64). */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

/** The formatted elements of map `id` (every element; bpftool's BTF view of it). */
export function bpftoolDump(id: number): FormattedElement[] {
  const dump = parseExactJson(bpftool("map", "dump", "id", String(id), "-j")) as { formatted: FormattedElement }[];
  return dump.map((e) => e.formatted);
}

/** bpftool's value of global `name` in the data section map `id` (".bss", ".data", ".rodata"). */
export function bpftoolGlobal(id: number, section: string, name: string): unknown {
  const [element] = bpftoolDump(id);
  const vars = (element!.value as Record<string, Record<string, unknown>[]>)[section]!;
  const found = vars.find((v) => name in v);
  assert.ok(found, `bpftool shows ${name} in ${section}`);
  return found[name];
}

/** The type a value was decoded as: a codec, or a BTF and a type id. */
export interface DecodedAs {
  readonly btf: Btf;
  readonly typeId: number;
}

/** Asserts that `decoded` (a value of `as`) prints as bpftool printed `formatted`. */
export function assertSameAsBpftool(as: DecodedAs, decoded: unknown, formatted: unknown, what = "value"): void {
  assert.deepEqual(parseExactJson(bpftoolFormatted(as.btf, as.typeId, decoded)), formatted, what);
}
