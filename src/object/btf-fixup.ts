// The object's BTF as the kernel accepts it: clang leaves DATASEC sizes and
// variable offsets at zero, which BPF_BTF_LOAD rejects; libbpf fills them in
// from the ELF section sizes and symbol values before loading. This computes
// the same fix-up (type ids are unchanged, so func_info type ids stay valid).
// It also marks `__hidden` global subprograms static, as libbpf does, so the
// verifier checks them in their caller's context.
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { ElfObject } from "./elf-object.js";
import { datasecLayout } from "./datasec.js";
import type { ExternSpec } from "./externs.js";

/** Replacement types by id, plus types to append (libbpf's dummy ksym variable). */
export interface BtfFixups {
  readonly replaced: ReadonlyMap<number, BtfType>;
  readonly appended: readonly BtfType[];
}

const DUMMY_KSYM = "dummy_ksym";

/**
 * libbpf's BTF fix-ups before load: DATASECs of data sections get their real
 * size and placed, sorted variables; `.kconfig` variables become allocated
 * globals at their map offsets; `.ksyms` variables become allocated int
 * globals and extern functions global ones (the kernel refuses extern
 * linkage), with a dummy int VAR standing in for functions in the DATASEC.
 */
export function btfFixups(obj: ElfObject, btf: Btf | undefined, externs: readonly ExternSpec[]): BtfFixups {
  const replaced = new Map<number, BtfType>();
  const appended: BtfType[] = [];
  if (!btf) return { replaced, appended };
  const intId = [...btf.types("INT")].find((t) => t.size === 4)?.id ?? 0;
  markHiddenFunctionsStatic(obj, btf, replaced);
  for (const sec of btf.types("DATASEC")) {
    if (sec.name === ".kconfig") {
      const vars = sec.vars.map((v) => {
        const ext = externs.find((e) => e.btfId === v.type);
        const t = btf.typeById(v.type);
        if (t.kind === "VAR") replaced.set(t.id, { ...t, linkage: "global", linkageValue: 1 });
        return { type: v.type, offset: ext?.kconfigOffset ?? v.offset, size: ext?.size ?? v.size };
      }).sort((a, b) => a.offset - b.offset);
      const size = vars.reduce((end, v) => Math.max(end, v.offset + v.size), 0);
      replaced.set(sec.id, { ...sec, size, vars });
      continue;
    }
    if (sec.name === ".ksyms") {
      let dummy: number | undefined;
      const vars = sec.vars.map((v, i) => {
        const t = btf.typeById(v.type);
        let type = v.type;
        if (t.kind === "FUNC") {
          if (dummy === undefined) {
            dummy = btf.lastId + 1 + appended.length;
            appended.push({ id: dummy, kind: "VAR", name: DUMMY_KSYM, kindFlag: false, type: intId, linkage: "global", linkageValue: 1 });
          }
          replaced.set(t.id, { ...t, linkage: "global", linkageValue: 1 });
          const proto = btf.typeById(t.type);
          if (proto.kind === "FUNC_PROTO" && proto.params.some((p) => p.type !== 0 && p.name === "")) {
            replaced.set(proto.id, { ...proto, params: proto.params.map((p) => (p.type !== 0 && p.name === "" ? { ...p, name: DUMMY_KSYM } : p)) });
          }
          type = dummy;
        } else if (t.kind === "VAR") {
          replaced.set(t.id, { ...t, linkage: "global", linkageValue: 1, type: intId });
        }
        return { type, offset: i * 4, size: 4 };
      });
      replaced.set(sec.id, { ...sec, size: vars.length * 4, vars });
      continue;
    }
    if (sec.size !== 0) continue;
    const section = obj.sectionByName(sec.name);
    if (!section || section.size === 0) continue;
    const layout = datasecLayout(obj, btf, section);
    if (!layout) continue;
    const vars = layout.vars.map((v) => ({ type: v.varId, offset: v.offset, size: v.size }));
    replaced.set(sec.id, { ...sec, size: section.size, vars });
  }
  return { replaced, appended };
}

/**
 * A global (or weak) subprogram whose symbol is hidden or internal cannot be
 * called from outside the object, so nothing needs it verified on its own:
 * libbpf marks its BTF FUNC static, and the verifier then checks it with its
 * caller's context (e.g. a pointer argument the caller proves non-NULL). The
 * helpers of libbpf's <bpf/usdt.bpf.h> are written for exactly that.
 * Only subprograms (in .text) are marked, as libbpf does.
 */
function markHiddenFunctionsStatic(obj: ElfObject, btf: Btf, replaced: Map<number, BtfType>): void {
  for (const sym of obj.symbols) {
    if (sym.type !== "func" || (sym.binding !== "global" && sym.binding !== "weak")) continue;
    if (sym.visibility !== "hidden" && sym.visibility !== "internal") continue;
    const section = obj.elf.sections[sym.sectionIndex];
    if (!section || section.name !== ".text" || !ElfObject.isCode(section)) continue;
    const func = btf.typesByName(sym.name, "FUNC").find((t) => t.linkage === "global");
    if (func) replaced.set(func.id, { ...func, linkage: "static", linkageValue: 0 });
  }
}

const HEADER = 24;
const KIND_VAR = 14;

/**
 * The object's BTF with the fix-ups written over its own records, in the host
 * byte order. Patching in place (rather than re-encoding) keeps every string
 * offset, so .BTF.ext func_info/line_info stay valid against the result.
 */
export function patchBtf(btf: Btf, fixups: BtfFixups): Uint8Array {
  const h = btf.header;
  const strings = btf.bytes.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen);
  const needsDummy = fixups.appended.length > 0 || [...fixups.replaced.values()].some((t) => t.kind === "FUNC_PROTO");
  const extra = needsDummy ? new TextEncoder().encode(`${DUMMY_KSYM}\0`) : new Uint8Array(0);
  const dummyName = strings.byteLength;
  const words = new Uint32Array(btf.words.length + fixups.appended.length * 4);
  words.set(btf.words);
  const nameOff = (name: string, original: number): number => (name === DUMMY_KSYM ? dummyName : original);
  for (const t of fixups.replaced.values()) {
    const at = btf.recordStart(t.id);
    switch (t.kind) {
      case "DATASEC":
        words[at + 2] = t.size;
        t.vars.forEach((v, i) => {
          words[at + 3 + i * 3] = v.type;
          words[at + 4 + i * 3] = v.offset;
          words[at + 5 + i * 3] = v.size;
        });
        break;
      case "VAR":
        words[at + 2] = t.type;
        words[at + 3] = t.linkageValue;
        break;
      case "FUNC":
        words[at + 1] = ((words[at + 1] as number) & 0xffff_0000) | t.linkageValue;
        break;
      case "FUNC_PROTO":
        t.params.forEach((p, i) => {
          words[at + 3 + i * 2] = nameOff(p.name, words[at + 3 + i * 2] as number);
        });
        break;
      default:
        break;
    }
  }
  fixups.appended.forEach((t, i) => {
    if (t.kind !== "VAR") return;
    const at = btf.words.length + i * 4;
    words[at] = dummyName;
    words[at + 1] = KIND_VAR << 24;
    words[at + 2] = t.type;
    words[at + 3] = t.linkageValue;
  });
  const typeLen = words.length * 4;
  const out = new Uint8Array(HEADER + typeLen + strings.byteLength + extra.byteLength);
  const view = new DataView(out.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  view.setUint16(0, 0xeb9f, le);
  view.setUint8(2, 1);
  view.setUint8(3, h.flags);
  view.setUint32(4, HEADER, le);
  view.setUint32(8, 0, le);
  view.setUint32(12, typeLen, le);
  view.setUint32(16, typeLen, le);
  view.setUint32(20, strings.byteLength + extra.byteLength, le);
  out.set(new Uint8Array(words.buffer, 0, typeLen), HEADER);
  out.set(strings, HEADER + typeLen);
  out.set(extra, HEADER + typeLen + strings.byteLength);
  return out;
}
