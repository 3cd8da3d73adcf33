// /proc/kallsyms as a symbolizer for xlated dumps. In a translated program
// the kernel stores a helper call's target as `imm = address - __bpf_call_base`
// and a bpf-to-bpf call's callee as an index into the program's JIT symbols;
// bpftool turns both back into names through kallsyms, and so does this.
import { readFileSync } from "node:fs";
import type { Instruction } from "./instruction.js";
import type { DisasmSymbolizer } from "./disasm.js";
import { PseudoCall } from "./opcodes.js";

/**
 * Symbols sorted by address. Addresses are kept as two 32-bit halves so
 * sorting and searching compare plain numbers, not BigInts (kallsyms has
 * 100k+ lines).
 */
interface SymbolTable {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly names: string[];
}

const EMPTY: SymbolTable = { hi: new Uint32Array(0), lo: new Uint32Array(0), names: [] };

/** Kernel symbols by address, read from /proc/kallsyms on first use. */
export class Kallsyms {
  readonly #path: string;
  #table: SymbolTable | undefined;
  #callBase = 0n;

  /** `path`: another file in /proc/kallsyms format (a saved copy); root is needed to see real addresses (kptr_restrict). */
  constructor(path = "/proc/kallsyms") {
    this.#path = path;
  }

  /** Address of __bpf_call_base (0 when hidden), the origin of helper call offsets. */
  get bpfCallBase(): bigint {
    this.#load();
    return this.#callBase;
  }

  /**
   * Forgets what was read, so the next lookup sees symbols added since
   * (JITed programs appear in kallsyms as they load; bpftool rereads per run).
   */
  refresh(): void {
    this.#table = undefined;
    this.#callBase = 0n;
  }

  /** Number of symbols with a visible address. */
  get size(): number {
    return this.#load().names.length;
  }

  /**
   * The symbol at exactly `address`. Where several symbols share an address
   * the pick follows bpftool (a stable sort, then glibc's bsearch probe order).
   */
  lookup(address: bigint): string | undefined {
    const { hi, lo, names } = this.#load();
    const qh = Number((address >> 32n) & 0xffffffffn);
    const ql = Number(address & 0xffffffffn);
    let l = 0;
    let u = names.length;
    while (l < u) {
      const mid = (l + u) >>> 1;
      const cmp = qh - hi[mid]! || ql - lo[mid]!;
      if (cmp < 0) u = mid;
      else if (cmp > 0) l = mid + 1;
      else return names[mid];
    }
    return undefined;
  }

  /**
   * The symbol `address` falls in: the one at the highest address not above
   * it, and how far past its start the address is (for stack traces, as
   * perf and bcc print them: "vfs_read+0x1c"). Undefined below the first symbol.
   */
  nearest(address: bigint): { name: string; offset: bigint } | undefined {
    const { hi, lo, names } = this.#load();
    const qh = Number((address >> 32n) & 0xffffffffn);
    const ql = Number(address & 0xffffffffn);
    // Upper bound: the first symbol above the address; the one before it holds the address.
    let l = 0;
    let u = names.length;
    while (l < u) {
      const mid = (l + u) >>> 1;
      if ((qh - hi[mid]! || ql - lo[mid]!) < 0) u = mid;
      else l = mid + 1;
    }
    if (l === 0) return undefined;
    const start = (BigInt(hi[l - 1]!) << 32n) | BigInt(lo[l - 1]!);
    return { name: names[l - 1]!, offset: address - start };
  }

  #load(): SymbolTable {
    if (this.#table) return this.#table;
    let text = "";
    try {
      text = readFileSync(this.#path, "latin1");
    } catch {
      // No kallsyms (containers, restricted /proc): calls print as addresses, like bpftool.
    }
    const his: number[] = [];
    const los: number[] = [];
    const names: string[] = [];
    let hidden = false;
    // Lines look like "ffffffff814cc810 T __bpf_call_base\t[module]"; the module column is ignored, as bpftool does.
    for (let pos = 0; pos < text.length;) {
      let eol = text.indexOf("\n", pos);
      if (eol < 0) eol = text.length;
      const line = text.slice(pos, eol);
      const sp1 = line.indexOf(" ");
      const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
      if (sp1 > 0 && sp2 > sp1) {
        const tab = line.indexOf("\t", sp2);
        const name = line.slice(sp2 + 1, tab >= 0 ? tab : line.length);
        const digits = line.slice(0, sp1);
        const h = digits.length > 8 ? parseInt(digits.slice(0, -8), 16) : 0;
        const l = parseInt(digits.slice(-8), 16);
        if (name === "__bpf_call_base") {
          this.#callBase = (BigInt(h) << 32n) | BigInt(l);
          // Addresses hidden by kernel.kptr_restrict: bpftool then drops every symbol.
          if (h === 0 && l === 0) {
            hidden = true;
            break;
          }
        }
        if (h !== 0 || l !== 0) {
          his.push(h);
          los.push(l);
          names.push(name);
        }
      }
      pos = eol + 1;
    }
    if (hidden) return (this.#table = EMPTY);
    // Stable order by address (Array.prototype.sort is stable), as glibc's qsort merge sort is.
    const order = names.map((_, i) => i).sort((a, b) => his[a]! - his[b]! || los[a]! - los[b]!);
    this.#table = {
      hi: Uint32Array.from(order, (i) => his[i]!),
      lo: Uint32Array.from(order, (i) => los[i]!),
      names: order.map((i) => names[i]!),
    };
    return this.#table;
  }
}

/** What {@link xlatedCallSymbolizer} needs from the program. */
export interface XlatedCallContext {
  kallsyms: Kallsyms;
  /** JIT symbol address per function (bpf_prog_info.jited_ksyms); empty for interpreted programs. */
  jitedKsyms?: readonly bigint[];
}

/**
 * Resolves calls of an xlated program as bpftool does: helpers and kfuncs to
 * `symbol` (or `0x<address>`), bpf-to-bpf calls to `+off#bpf_prog_<tag>_<name>`.
 */
export function xlatedCallSymbolizer(ctx: XlatedCallContext): DisasmSymbolizer {
  const ksyms = ctx.jitedKsyms ?? [];
  return {
    call(insn: Instruction): string {
      let address = BigInt.asUintN(64, ctx.kallsyms.bpfCallBase + BigInt(insn.imm));
      const pseudo = insn.src === PseudoCall.CALL;
      if (pseudo && insn.imm >>> 0 < ksyms.length) address = ksyms[insn.imm >>> 0]!;
      const sym = ctx.kallsyms.lookup(address);
      if (!pseudo) return sym ?? `0x${address.toString(16)}`;
      const off = insn.offset < 0 ? String(insn.offset) : `+${insn.offset}`;
      if (ksyms.length === 0) return off; // interpreted: no address to show
      return sym ? `${off}#${sym}` : `${off}#0x${address.toString(16)}`;
    },
  };
}
