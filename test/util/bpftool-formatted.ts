// bpftool's BTF-formatted map dumps (`bpftool map dump id N -j`, the
// "formatted" member) as an oracle for decoded values. bpftool prints u64s
// as bare JSON numbers (which JSON.parse would round) and bitfields as hex
// strings, so the text is parsed with long integers kept as strings, and the
// comparison accepts either spelling of the same integer.
import assert from "node:assert/strict";
import { bpftool } from "./cli.js";

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
export function bpftoolFormatted(id: number): FormattedElement[] {
  const dump = parseExactJson(bpftool("map", "dump", "id", String(id), "-j")) as { formatted: FormattedElement }[];
  return dump.map((e) => e.formatted);
}

/** bpftool's value of global `name` in the data section map `id` (".bss", ".data", ".rodata"). */
export function bpftoolGlobal(id: number, section: string, name: string): unknown {
  const [element] = bpftoolFormatted(id);
  const vars = (element!.value as Record<string, Record<string, unknown>[]>)[section]!;
  const found = vars.find((v) => name in v);
  assert.ok(found, `bpftool shows ${name} in ${section}`);
  return found[name];
}

/** The integer bpftool printed (a number, a long decimal kept as a string, or a hex bitfield), as a bigint. */
function integerOf(formatted: unknown, path: string): bigint {
  if (typeof formatted === "number" && Number.isInteger(formatted)) return BigInt(formatted);
  if (typeof formatted === "string" && /^(-?\d+|0x[0-9a-f]+)$/i.test(formatted)) return BigInt(formatted);
  assert.fail(`${path}: bpftool printed ${JSON.stringify(formatted)}, not an integer`);
}

/** Asserts that a decoded value equals what bpftool formatted, member by member (paths name the first difference). */
export function assertSameAsBpftool(decoded: unknown, formatted: unknown, path = "value"): void {
  if (typeof decoded === "bigint" || (typeof decoded === "number" && Number.isInteger(decoded))) {
    assert.equal(integerOf(formatted, path), BigInt(decoded), `${path}: decoded ${decoded}, bpftool ${JSON.stringify(formatted)}`);
  } else if (typeof decoded === "number" || typeof decoded === "boolean" || typeof decoded === "string") {
    assert.equal(formatted, decoded, path);
  } else if (decoded instanceof Uint8Array) {
    assertSameAsBpftool([...decoded], formatted, path);
  } else if (Array.isArray(decoded)) {
    assert.ok(Array.isArray(formatted), `${path}: bpftool printed ${JSON.stringify(formatted)}, not an array`);
    assert.equal(formatted.length, decoded.length, `${path}: length`);
    decoded.forEach((d, i) => assertSameAsBpftool(d, formatted[i], `${path}[${i}]`));
  } else if (typeof decoded === "object" && decoded !== null) {
    assert.ok(typeof formatted === "object" && formatted !== null && !Array.isArray(formatted), `${path}: bpftool printed ${JSON.stringify(formatted)}`);
    assert.deepEqual(Object.keys(decoded).sort(), Object.keys(formatted).sort(), `${path}: members`);
    for (const [k, v] of Object.entries(decoded)) assertSameAsBpftool(v, (formatted as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    assert.fail(`${path}: cannot compare ${String(decoded)}`);
  }
}
