// arm64 USDT argument locations: "5" (constant), "x0" / "w0" (register),
// "[sp, 16]" / "[x1]" (memory at a register plus an offset).
import { UsdtArgumentError } from "./errors.js";
import { decimal, registerOffset, type UsdtLocation } from "./location.js";

export function parseArm64Location(where: string, spec: string): UsdtLocation {
  const mem = /^\[\s*([a-z0-9]+)\s*(?:,\s*#?([-+]?\d+)\s*)?\]$/.exec(where);
  if (mem) {
    const offset = mem[2] === undefined ? 0n : decimal(mem[2]);
    if (offset === undefined) throw new UsdtArgumentError(spec, `offset '${mem[2]}' is not a decimal integer`);
    return { kind: "deref", reg: mem[1]!, regOffset: registerOffset("arm64", mem[1]!, spec), offset };
  }
  const value = decimal(where.replace(/^#/, ""));
  if (value !== undefined) return { kind: "const", value };
  if (/^[a-z][a-z0-9]*$/.test(where)) return { kind: "reg", reg: where, regOffset: registerOffset("arm64", where, spec) };
  throw new UsdtArgumentError(spec, "not a constant (N), a register (xN, sp) or memory ([reg, OFF]) in arm64 syntax");
}
