// Probe reads with the kernel as the oracle: a sleepable syscall program
// (BPF_PROG_TEST_RUN of BPF_PROG_TYPE_SYSCALL, which has the probe helpers)
// reads a string from its stack with bpf_probe_read_kernel(_str) and
// bpf_probe_read_user(_str) into a buffer it copies to the context; the
// machine runs the same instructions with the stack as kernel memory and
// an empty user memory. Results and bytes must agree: copies, cut strings,
// the count with the NUL, cleared buffers, -EFAULT for a kernel address read
// as user memory and -ERANGE for NULL read as kernel memory (x86).
// (probe_read_user of 0 bytes at a kernel address is left out: x86's
// access_ok refuses it with -EFAULT, a check on address ranges the machine
// does not have.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgramBuilder, R1, R2, R3, R6, R10 } from "../../src/asm/index.js";
import { Program, ProgramFlags, ProgramType } from "../../src/program.js";
import { AddressSpace } from "../../src/vm/index.js";
import { storeBytes, VmWorld } from "./vm-kernel-helpers-util.js";

type Helper = "probe_read_kernel" | "probe_read_kernel_str" | "probe_read_user" | "probe_read_user_str";

/** r0 = helper(fp-32, size, NULL or fp-16 holding `text`); the 16 bytes at fp-32 (0xff-filled first) go to ctx. */
function build(helper: Helper, size: number, text: string | null): ProgramBuilder {
  const b = new ProgramBuilder().mov64Reg(R6, R1);
  const bytes = new Uint8Array(16);
  bytes.set(new TextEncoder().encode(`${text ?? ""}\0`).subarray(0, 16));
  storeBytes(b, -16, bytes);
  b.stDW(R10, -32, -1).stDW(R10, -24, -1).mov64Reg(R1, R10).add64Imm(R1, -32).mov64Imm(R2, size);
  if (text === null) b.mov64Imm(R3, 0);
  else b.mov64Reg(R3, R10).add64Imm(R3, -16);
  return b.call(helper).ldxDW(R1, R10, -32).stxDW(R6, R1, 0).ldxDW(R1, R10, -24).stxDW(R6, R1, 8).exit();
}

test("probe_read_kernel/user(_str) agree with the kernel on results and the bytes written", () => {
  const helpers: Helper[] = ["probe_read_kernel", "probe_read_kernel_str", "probe_read_user", "probe_read_user_str"];
  const cases: Array<[number, string | null]> = [[16, "hello"], [8, "hello"], [6, "hello"], [5, "hello"], [3, "hello"], [1, "hello"], [0, "hello"], [8, ""], [16, "fifteen chars.."], [8, null]];
  let compared = 0;
  for (const helper of helpers) {
    for (const [size, text] of cases) {
      if (helper === "probe_read_user" && size === 0) continue;
      const what = `${helper}(size ${size}, ${JSON.stringify(text)})`;
      const b = build(helper, size, text);
      const ctxIn = new Uint8Array(16);
      let expected: { r0: number; ctx: number[] };
      {
        using prog = Program.load({ type: ProgramType.Syscall, instructions: b.build(), license: "GPL", name: "vm_probe", flags: ProgramFlags.SLEEPABLE });
        const r = prog.testRun({ ctx: ctxIn });
        expected = { r0: r.retval | 0, ctx: [...ctxIn] };
      }
      for (const engine of ["interpreter", "jit"] as const) {
        const w = new VmWorld();
        w.kernel.userMemory = new AddressSpace(); // the stack is kernel memory
        const ctx = new Uint8Array(16);
        const region = w.machine.memory.map("ctx", ctx);
        const r0 = Number(BigInt.asIntN(32, w.machine.run(w.program(b), { engine, args: [region.base] }).r0));
        assert.deepEqual({ r0, ctx: [...ctx] }, expected, `${what} [${engine}]`);
      }
      compared++;
    }
  }
  assert.equal(compared, 39);
});
