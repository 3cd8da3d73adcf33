// Running code without the BPF capabilities: `feature probe unprivileged`
// asks the kernel what a process lacking them may use, as bpftool does.
// Capabilities are per thread and every bpf(2) call runs on the JS thread, so
// clearing them from this thread's effective set (capset) is enough; the
// effective set can be raised again from the permitted set afterwards.
import { rawSyscall, SYS } from "./syscall.js";
import { errorFromErrno } from "./errors.js";
import { Capability, type CapabilityName } from "./privileges.js";

/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAPABILITY_VERSION_3 = 0x2008_0522;

function capCall(name: "capget" | "capset", data: Uint32Array): void {
  // version, pid 0 (this thread).
  const header = new Uint32Array([CAPABILITY_VERSION_3, 0]);
  const r = rawSyscall(SYS[name], header, data);
  if (r < 0) throw errorFromErrno(-r, name);
}

/** Calls `fn` with `names` cleared from this thread's effective capabilities, restoring them after. */
export function withoutCapabilities<T>(names: readonly CapabilityName[], fn: () => T): T {
  // struct __user_cap_data_struct[2]: { effective, permitted, inheritable } per 32 capabilities.
  const data = new Uint32Array(6);
  capCall("capget", data);
  const saved = data.slice();
  for (const n of names) {
    const bit = Capability[n];
    const word = Math.floor(bit / 32) * 3;
    data[word] = (data[word]! & ~(1 << bit % 32)) >>> 0;
  }
  capCall("capset", data);
  try {
    return fn();
  } finally {
    capCall("capset", saved);
  }
}
