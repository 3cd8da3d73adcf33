// Where each user register lives in the kernel's struct pt_regs of the
// running architecture: USDT argument specs name registers, and the BPF side
// (<bpf/usdt.bpf.h>) reads them at offsetof(struct pt_regs, reg) from its
// context. Every width of an x86-64 register (rax/eax/ax/al) is the same slot.

/** Architectures whose USDT argument syntax and pt_regs layout tsbpf knows (Node's process.arch names). */
export type UsdtArch = "x64" | "arm64";

// struct pt_regs of arch/x86/include/asm/ptrace.h (x86-64), in 8-byte slots.
const X64_SLOTS: readonly (readonly string[])[] = [
  ["r15", "r15d", "r15w", "r15b"], ["r14", "r14d", "r14w", "r14b"], ["r13", "r13d", "r13w", "r13b"],
  ["r12", "r12d", "r12w", "r12b"], ["rbp", "ebp", "bp", "bpl"], ["rbx", "ebx", "bx", "bl"],
  ["r11", "r11d", "r11w", "r11b"], ["r10", "r10d", "r10w", "r10b"], ["r9", "r9d", "r9w", "r9b"],
  ["r8", "r8d", "r8w", "r8b"], ["rax", "eax", "ax", "al"], ["rcx", "ecx", "cx", "cl"], ["rdx", "edx", "dx", "dl"],
  ["rsi", "esi", "si", "sil"], ["rdi", "edi", "di", "dil"], ["orig_rax"], ["rip", "eip"], [/* cs */], ["eflags"],
  ["rsp", "esp", "sp", "spl"], [/* ss */],
];

const x64 = new Map<string, number>();
X64_SLOTS.forEach((names, slot) => {
  for (const name of names) x64.set(name, slot * 8);
});

/** The kernel's names of the x86-64 pt_regs slots USDT arguments can name (for comparing with kernel BTF). */
export const X64_PT_REGS_MEMBERS: ReadonlyMap<string, number> = new Map([
  ["r15", 0], ["r14", 8], ["r13", 16], ["r12", 24], ["bp", 32], ["bx", 40], ["r11", 48], ["r10", 56], ["r9", 64], ["r8", 72],
  ["ax", 80], ["cx", 88], ["dx", 96], ["si", 104], ["di", 112], ["orig_ax", 120], ["ip", 128], ["flags", 144], ["sp", 152],
]);

/** arm64: struct user_pt_regs at the start of pt_regs — regs[31], then sp, pc, pstate. */
function arm64Offset(name: string): number | undefined {
  if (name === "sp") return 31 * 8;
  // x0…x30, and w0…w30 (their low halves: the same slot, read with the argument's size).
  const m = /^[xw](\d{1,2})$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 30 ? n * 8 : undefined;
}

/** offsetof(struct pt_regs, reg) on `arch`, or undefined for a register the BPF side cannot read. */
export function ptRegsOffset(arch: UsdtArch, name: string): number | undefined {
  return arch === "x64" ? x64.get(name) : arm64Offset(name);
}

/** The running architecture as a UsdtArch, or undefined when tsbpf has no USDT support for it. */
export function runningUsdtArch(): UsdtArch | undefined {
  return process.arch === "x64" || process.arch === "arm64" ? process.arch : undefined;
}

/** e_machine of each UsdtArch (EM_X86_64, EM_AARCH64). */
export const USDT_ARCH_MACHINE: Readonly<Record<UsdtArch, number>> = { x64: 62, arm64: 183 };
