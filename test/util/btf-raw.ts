// A minimal reader of bpftool's `btf dump … format raw` text, used as an
// independent oracle for struct layouts (offsets come from the kernel's own
// BTF as printed by bpftool, not from tsbpf's BTF parser).
import { execFileSync } from "node:child_process";

interface RawMember { name: string; typeId: number; bitsOffset: number }
interface RawType { id: number; kind: string; name: string; size?: number; typeId?: number; nrElems?: number; members: RawMember[] }

export class RawBtf {
  readonly types = new Map<number, RawType>();
  readonly byName = new Map<string, RawType>();

  static fromBpftool(file = "/sys/kernel/btf/vmlinux"): RawBtf {
    const text = execFileSync("bpftool", ["btf", "dump", "file", file, "format", "raw"], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    return new RawBtf(text);
  }

  constructor(text: string) {
    let cur: RawType | undefined;
    for (const line of text.split("\n")) {
      const head = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
      if (head) {
        const rest = head[4] ?? "";
        const size = /size=(\d+)/.exec(rest);
        const tid = /type_id=(\d+)/.exec(rest);
        const elems = /nr_elems=(\d+)/.exec(rest);
        cur = {
          id: Number(head[1]), kind: head[2] ?? "", name: head[3] ?? "",
          size: size ? Number(size[1]) : undefined, typeId: tid ? Number(tid[1]) : undefined,
          nrElems: elems ? Number(elems[1]) : undefined, members: [],
        };
        this.types.set(cur.id, cur);
        if ((cur.kind === "STRUCT" || cur.kind === "UNION") && cur.name !== "(anon)" && !this.byName.has(cur.name)) {
          this.byName.set(cur.name, cur);
        }
        continue;
      }
      const mem = /^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(line);
      if (mem && cur) cur.members.push({ name: mem[1] ?? "", typeId: Number(mem[2]), bitsOffset: Number(mem[3]) });
    }
  }

  /** Skips typedefs and qualifiers. */
  private resolve(id: number): RawType | undefined {
    let t = this.types.get(id);
    for (let i = 0; t && i < 32 && ["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"].includes(t.kind); i++) {
      t = this.types.get(t.typeId ?? 0);
    }
    return t;
  }

  /** Byte offset and size of a dotted member path, looking through anonymous members like C does. */
  member(root: string, path: string): { offset: number; size: number } | undefined {
    let t = this.byName.get(root);
    let offset = 0;
    let size = t?.size ?? 0;
    for (const part of path.split(".")) {
      if (!t) return undefined;
      const found = this.find(t, part);
      if (!found) return undefined;
      offset += found.bits / 8;
      t = found.type;
      size = found.size;
    }
    return { offset, size };
  }

  private find(t: RawType, name: string): { bits: number; type: RawType | undefined; size: number } | undefined {
    for (const m of t.members) {
      const mt = this.resolve(m.typeId);
      if (m.name === name) return { bits: m.bitsOffset, type: mt, size: this.sizeOf(mt) };
      if (m.name === "(anon)" && mt && (mt.kind === "STRUCT" || mt.kind === "UNION")) {
        const inner = this.find(mt, name);
        if (inner) return { ...inner, bits: inner.bits + m.bitsOffset };
      }
    }
    return undefined;
  }

  private sizeOf(t: RawType | undefined): number {
    if (!t) return 0;
    if (t.size !== undefined) return t.size;
    if (t.kind === "PTR") return 8;
    if (t.kind === "ARRAY") return (t.nrElems ?? 0) * this.sizeOf(this.resolve(t.typeId ?? 0));
    return 0;
  }
}
