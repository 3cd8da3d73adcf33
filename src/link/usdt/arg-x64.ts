// x86-64 (AT&T syntax) USDT argument locations: "$-9" (constant), "%edi"
// (register, any width), "-1204(%rbp)" / "(%rsp)" (memory at a register
// plus an offset). Index registers ("-96(%rbp,%rax,8)") are refused: the
// spec layout of the installed <bpf/usdt.bpf.h> has no room for them.
import { UsdtArgumentError } from "./errors.js";
import { decimal, registerOffset, type UsdtLocation } from "./location.js";

export function parseX64Location(where: string, spec: string): UsdtLocation {
  if (where.startsWith("$")) {
    const value = decimal(where.slice(1));
    if (value === undefined) throw new UsdtArgumentError(spec, `constant '${where}' is not a decimal integer`);
    return { kind: "const", value };
  }
  const reg = /^%([a-z0-9]+)$/.exec(where);
  if (reg) return { kind: "reg", reg: reg[1]!, regOffset: registerOffset("x64", reg[1]!, spec) };
  const mem = /^([-+]?\d+)?\s*\(\s*%([a-z0-9]+)\s*(,.*)?\)$/.exec(where);
  if (mem) {
    if (mem[3] !== undefined) {
      throw new UsdtArgumentError(spec, "base+index*scale addressing is not in the <bpf/usdt.bpf.h> spec layout tsbpf writes");
    }
    const offset = mem[1] === undefined ? 0n : decimal(mem[1]);
    if (offset === undefined) throw new UsdtArgumentError(spec, `offset '${mem[1]}' is not a decimal integer`);
    return { kind: "deref", reg: mem[2]!, regOffset: registerOffset("x64", mem[2]!, spec), offset };
  }
  if (/^[A-Za-z_.$][\w.$]*(?:[-+]\d+)?\(%rip\)$/.test(where)) {
    throw new UsdtArgumentError(spec, "a symbol relative to %rip (a global variable) is not supported (libbpf refuses it too)");
  }
  throw new UsdtArgumentError(spec, "not a constant ($N), a register (%reg) or memory (OFF(%reg)) in x86-64 syntax");
}
