// The object's BTF as the kernel accepts it: clang leaves DATASEC sizes and
// variable offsets at zero, which BPF_BTF_LOAD rejects; libbpf fills them in
// from the ELF section sizes and symbol values before loading. This computes
// the same fix-up (type ids are unchanged, so func_info type ids stay valid).
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import { encodeBtf } from "../btf/encode.js";
import type { ElfObject } from "./elf-object.js";
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

/** Encodes `btf` in the host byte order with the fixed-up types substituted and appended. */
export function encodeFixedBtf(btf: Btf, fixups: BtfFixups): Uint8Array {
  const types: BtfType[] = [];
  for (const t of btf) types.push(fixups.replaced.get(t.id) ?? t);
  types.push(...fixups.appended);
  // The kernel reads BTF in its own byte order.
  return encodeBtf(types, { littleEndian: new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 });
}
