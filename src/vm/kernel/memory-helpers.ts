// Reading memory the verifier cannot check: bpf_probe_read_kernel/user(_str),
// the legacy bpf_probe_read(_str), bpf_copy_from_user, and bpf_strncmp.
// Kernel reads go to kernel.kernelMemory and user reads to kernel.userMemory
// (each defaulting to the machine's own memory), so a test maps there what
// the "kernel" and the "process" hold. An unmapped source is not a fault of
// the machine but -EFAULT for the program, with the destination cleared, as
// the kernel's nofault copies do — or -ERANGE when a kernel read is given a
// user address (the null page, or an address mapped in user memory), as
// x86's copy_from_kernel_nofault refuses those before trying.
import { EFAULT, ERANGE } from "../../sys/errno.js";
import type { AddressSpace } from "../memory.js";
import type { HelperContext, VmHelperTable } from "../helpers.js";
import { bytesAt, copyStringNoFault, cStringAt, readNoFault, u32 } from "./access.js";
import type { VmKernel } from "./state.js";

type Space = (ctx: HelperContext) => AddressSpace;
/** Which memory a read is of; the legacy helpers ("compat") try kernel memory, then user memory. */
type Kind = "kernel" | "user" | "compat";

/** Addresses below this are the null page: user addresses on every architecture. */
const NULL_PAGE_END = 0x1_0000n;

/** probe_read(_kernel/_user)(_str), copy_from_user and strncmp. */
export function memoryHelpers(kernel: VmKernel): VmHelperTable {
  const kernelSpace: Space = (ctx) => kernel.kernelMemory ?? ctx.memory;
  const userSpace: Space = (ctx) => kernel.userMemory ?? ctx.memory;
  // bpf_probe_read(_str) reads user memory for user addresses: try kernel memory, then user memory.
  const eitherSpace = (ctx: HelperContext, address: bigint): AddressSpace => {
    const k = kernelSpace(ctx);
    return k.regionAt(address) !== undefined ? k : userSpace(ctx);
  };
  // What a failed read returns: kernel reads of user addresses are refused with -ERANGE.
  const failure = (ctx: HelperContext, kind: Kind, address: bigint): number => {
    if (kind !== "kernel") return -EFAULT;
    const user = userSpace(ctx);
    const isUser = BigInt.asUintN(64, address) < NULL_PAGE_END || (user !== kernelSpace(ctx) && user.regionAt(address) !== undefined);
    return isUser ? -ERANGE : -EFAULT;
  };
  const spaces: Record<Kind, (ctx: HelperContext, address: bigint) => AddressSpace> = { kernel: kernelSpace, user: userSpace, compat: eitherSpace };
  const read = (kind: Kind) => (ctx: HelperContext, dst: bigint, size: bigint, src: bigint): number => {
    const out = bytesAt(ctx, dst, u32(size), "write");
    const bytes = readNoFault(spaces[kind](ctx, src), src, out.byteLength);
    if (bytes === undefined) {
      out.fill(0);
      return failure(ctx, kind, src);
    }
    out.set(bytes);
    return 0;
  };
  // The string and its NUL are copied (cut to size - 1 bytes); the result counts the NUL.
  const readString = (kind: Kind) => (ctx: HelperContext, dst: bigint, size: bigint, src: bigint): number => {
    const out = bytesAt(ctx, dst, u32(size), "write");
    const staged = new Uint8Array(out.byteLength);
    const n = copyStringNoFault(spaces[kind](ctx, src), src, staged);
    if (n === undefined) {
      out.fill(0);
      return failure(ctx, kind, src);
    }
    out.set(staged.subarray(0, n));
    return n;
  };
  return {
    probe_read: read("compat"),
    probe_read_str: readString("compat"),
    probe_read_kernel: read("kernel"),
    probe_read_kernel_str: readString("kernel"),
    probe_read_user: read("user"),
    probe_read_user_str: readString("user"),
    copy_from_user: read("user"),
    // strncmp(s1, s2, s1_sz): s2 is a NUL-terminated constant; -1, 0 or 1 as lib/string.c returns.
    strncmp: (ctx, r1, r2, r3) => {
      const s1 = bytesAt(ctx, r1, u32(r2));
      const s2 = cStringAt(ctx, r3, s1.byteLength + 1);
      for (let i = 0; i < s1.byteLength; i++) {
        const a = s1[i] as number;
        const b = s2[i] ?? 0;
        if (a !== b) return a < b ? -1 : 1;
        if (a === 0) break;
      }
      return 0;
    },
  };
}
