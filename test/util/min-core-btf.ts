// Helpers for the gen min_core_btf tests: the objects to minimise for (the
// project's fixtures with CO-RE relocations, Debian's libbpf-tools), and
// the comparison "relocating against this BTF patches every instruction as
// relocating against that one does" (a TYPE_ID_TARGET id is compared by
// the type it names, since the same type has another id in minimal BTF).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Btf } from "../../src/btf/btf.js";
import { ObjectSpec } from "../../src/object/object-spec.js";
import { relocateWithTsbpf, type TsbpfResult } from "../oracle/core/libbpf-relocs.js";
import { libbpfTools, extractToolObject } from "./libbpf-tools.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures", import.meta.url));

/** An object to minimise BTF for. */
export interface CoreObject {
  readonly name: string;
  readonly bytes: Uint8Array;
}

function coreRelocationCount(bytes: Uint8Array): number {
  try {
    const spec = ObjectSpec.parse(bytes, { name: "probe" });
    return spec.btfExt ? [...spec.btfExt.coreRelos.values()].reduce((n, r) => n + r.length, 0) : 0;
  } catch {
    return 0; // objects the parser refuses are other tests' business
  }
}

/** Every fixture object (test/fixtures/<dir>/*.o) that has CO-RE relocation records. */
export function fixtureCoreObjects(): CoreObject[] {
  const out: CoreObject[] = [];
  for (const dir of readdirSync(FIXTURES).sort()) {
    const full = path.join(FIXTURES, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full).sort()) {
      if (!f.endsWith(".o")) continue;
      const bytes = readFileSync(path.join(full, f));
      if (coreRelocationCount(bytes) > 0) out.push({ name: `${dir}/${f}`, bytes: Uint8Array.from(bytes) });
    }
  }
  return out;
}

/** The libbpf-tools objects that have CO-RE relocation records. */
export function toolCoreObjects(): CoreObject[] {
  const out: CoreObject[] = [];
  for (const tool of libbpfTools()) {
    const bytes = extractToolObject(tool);
    if (bytes && coreRelocationCount(bytes) > 0) out.push({ name: tool, bytes: Uint8Array.from(bytes) });
  }
  return out;
}

/** The ld_imm64 / mov imm of each TYPE_ID_TARGET slot, zeroed, with the type it named. */
function maskTypeIds(r: TsbpfResult, btf: Btf): Map<string, string> {
  const named = new Map<string, string>();
  for (const f of r.fixups) {
    if (f.kind !== "TYPE_ID_TARGET") continue;
    const code = r.sections.get(f.section);
    if (code) new DataView(code.buffer, code.byteOffset).setInt32(f.insnIndex * 8 + 4, 0, true);
    const t = f.targetValue === 0n ? undefined : btf.typeById(Number(f.targetValue));
    named.set(`${f.section}#${f.insnIndex}`, t ? `${t.kind} ${t.name}` : "none");
  }
  return named;
}

/**
 * How relocating `bytes` against `candidate` differs from relocating it
 * against `full` (empty: not at all). Errors count as outcomes: both must
 * fail or neither.
 */
export function relocationDifferences(bytes: Uint8Array, full: Btf, candidate: Btf): string[] {
  // Copies: given a Node Buffer, relocateWithTsbpf's section slices would be views and patch the input.
  const a = relocateWithTsbpf(Uint8Array.from(bytes), full);
  const b = relocateWithTsbpf(Uint8Array.from(bytes), candidate);
  if (a.error || b.error) {
    return Boolean(a.error) === Boolean(b.error) ? [] : [`full: ${a.error?.message ?? "ok"}; minimal: ${b.error?.message ?? "ok"}`];
  }
  const out: string[] = [];
  const idsA = maskTypeIds(a, full);
  const idsB = maskTypeIds(b, candidate);
  for (const [slot, type] of idsA) if (idsB.get(slot) !== type) out.push(`${slot}: TYPE_ID_TARGET names ${type} vs ${idsB.get(slot)}`);
  const poisonedA = a.fixups.filter((f) => f.poisoned).length;
  const poisonedB = b.fixups.filter((f) => f.poisoned).length;
  if (poisonedA !== poisonedB) out.push(`${poisonedA} poisoned relocations vs ${poisonedB}`);
  for (const [section, code] of a.sections) {
    const other = b.sections.get(section);
    if (!other || other.length !== code.length) {
      out.push(`${section}: missing or resized`);
      continue;
    }
    for (let i = 0; i < code.length; i += 8) {
      if (Buffer.compare(code.subarray(i, i + 8), other.subarray(i, i + 8)) !== 0) {
        const fixup = a.fixups.find((f) => f.section === section && f.insnIndex === i / 8);
        out.push(`${section} insn ${i / 8} differs${fixup ? ` (${fixup.description})` : ""}`);
        break;
      }
    }
  }
  return out;
}
