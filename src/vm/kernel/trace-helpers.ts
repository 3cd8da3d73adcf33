// bpf_trace_printk, bpf_trace_vprintk (what bpf_printk expands to) and
// bpf_snprintf: the format is checked and formatted by ./printf.ts, the
// printed line is appended to kernel.trace (the machine's trace_pipe), and
// each returns what the kernel's does: the formatted length (bstr_printf's,
// which counts what a full buffer cut off), snprintf's plus one for the NUL,
// or a negative errno for a format the kernel refuses.
import { EINVAL } from "../../sys/errno.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import { bytesAt, copyStringNoFault, cStringAt, readNoFault, u32 } from "./access.js";
import { bprintfFormat, bprintfPrepare, MAX_BPRINTF_BUF, MAX_BPRINTF_VARARGS, type BprintfMemory } from "./printf.js";
import type { VmKernel } from "./state.js";

/** bpf_trace_printk takes three arguments after the format. */
const TRACE_PRINTK_ARGS = 3;

const decoder = new TextDecoder();

/** trace_printk, trace_vprintk and snprintf. */
export function traceHelpers(kernel: VmKernel): VmHelperTable {
  const memory = (ctx: HelperContext): BprintfMemory => ({
    copyString: (kind, address, dst) => copyStringNoFault(kind === "u" ? (kernel.userMemory ?? ctx.memory) : (kernel.kernelMemory ?? ctx.memory), address, dst),
    read: (address, length) => readNoFault(kernel.kernelMemory ?? ctx.memory, address, length),
  });
  const print = (ctx: HelperContext, fmtAddress: bigint, fmtSize: bigint, args: readonly bigint[]): number => {
    const buffer = bytesAt(ctx, fmtAddress, u32(fmtSize));
    const nul = buffer.indexOf(0);
    if (nul < 0) return -EINVAL;
    const fmt = buffer.subarray(0, nul);
    const staged = bprintfPrepare(fmt, args, memory(ctx));
    if (typeof staged === "number") return staged;
    const out = bprintfFormat(fmt, staged, MAX_BPRINTF_BUF);
    // The trace event copies the buffer as a C string.
    const end = out.bytes.indexOf(0);
    kernel.trace.push({ text: traceText(decoder.decode(end < 0 ? out.bytes : out.bytes.subarray(0, end))), index: ctx.index });
    return out.length;
  };
  const varargs = (ctx: HelperContext, address: bigint, length: number): bigint[] | undefined => {
    if (length % 8 !== 0 || length > MAX_BPRINTF_VARARGS * 8 || (length > 0 && address === 0n)) return undefined;
    const bytes = bytesAt(ctx, address, length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: length / 8 }, (_, i) => view.getBigUint64(i * 8, true));
  };
  return {
    trace_printk: (ctx, r1, r2, r3, r4, r5) => print(ctx, r1, r2, [r3, r4, r5].slice(0, TRACE_PRINTK_ARGS)),
    trace_vprintk: (ctx, r1, r2, r3, r4) => {
      const args = varargs(ctx, r3, u32(r4));
      return args === undefined ? -EINVAL : print(ctx, r1, r2, args);
    },
    // The format is a constant string (NUL-terminated, in read-only map data); str gets the NUL-terminated text.
    snprintf: (ctx, r1, r2, r3, r4, r5) => {
      const args = varargs(ctx, r4, u32(r5));
      if (args === undefined) return -EINVAL;
      const fmt = cStringAt(ctx, r3, 0x7fff_ffff);
      const staged = bprintfPrepare(fmt, args, memory(ctx));
      if (typeof staged === "number") return staged;
      const size = u32(r2);
      const dst = bytesAt(ctx, r1, size, "write");
      const out = bprintfFormat(fmt, staged, size);
      if (size > 0) {
        dst.set(out.bytes);
        dst[out.bytes.byteLength] = 0;
      }
      return out.length + 1;
    },
  };
}

/** The line as trace_pipe shows it, without the newline the program usually ends it with. */
function traceText(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}
