// The object's BTF as the kernel accepts it: clang leaves DATASEC sizes and
// variable offsets at zero, which BPF_BTF_LOAD rejects; libbpf fills them in
// from the ELF section sizes and symbol values before loading. This computes
// the same fix-up (type ids are unchanged, so func_info type ids stay valid).
// It also marks `__hidden` global subprograms static, as libbpf does, so the
// verifier checks them in their caller's context. The fix-ups are written over
// the records by the BTF layer's one patcher (btf/patch.ts).
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { ElfObject } from "./elf-object.js";
import { datasecLayout } from "./datasec.js";
import type { ExternSpec } from "./externs.js";
import { DUMMY_KSYM } from "../btf/patch.js";

/** Replacement types by id, plus types to append (libbpf's dummy ksym variable). */
export interface BtfFixups {
  readonly replaced: ReadonlyMap<number, BtfType>;
  readonly appended: readonly BtfType[];
}

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
