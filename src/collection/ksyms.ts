// `.ksyms` externs: kernel variables and functions the program names.
// Typed variables and kfuncs resolve to their BTF id in the kernel's BTF
// (the verifier then knows their types); untyped `extern const void x __ksym`
// resolves to its address from /proc/kallsyms.
import { readFileSync } from "node:fs";
import type { Btf } from "../btf/btf.js";
import type { ExternSpec } from "../object/externs.js";
import { NotFoundError, PermissionError } from "../sys/errors.js";

/** What a ksym extern resolved to. */
export type KsymValue =
  /** A typed variable or a kfunc: its id in vmlinux BTF. */
  | { readonly kind: "btf"; readonly btfId: number }
  /** An untyped symbol: its kernel address. */
  | { readonly kind: "address"; readonly address: bigint }
  /** A `__weak` extern the kernel lacks: address 0, and kfunc calls to it are poisoned. */
  | { readonly kind: "missing" };

/** Addresses of `names` in /proc/kallsyms (one pass; other symbols are not kept). */
export function kallsymsAddresses(names: ReadonlySet<string>, path = "/proc/kallsyms"): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (names.size === 0) return out;
  const text = readFileSync(path, "latin1");
  let start = 0;
  while (start < text.length && out.size < names.size) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    // "ffffffff81000000 T _stext [module]"
    const sp1 = text.indexOf(" ", start);
    const sp2 = sp1 < 0 ? -1 : text.indexOf(" ", sp1 + 1);
    if (sp2 > 0 && sp2 < end) {
      let nameEnd = text.indexOf("\t", sp2 + 1);
      if (nameEnd < 0 || nameEnd > end) nameEnd = end;
      const name = text.slice(sp2 + 1, nameEnd);
      if (names.has(name) && !out.has(name)) out.set(name, BigInt(`0x${text.slice(start, sp1)}`));
    }
    start = end + 1;
  }
  return out;
}

/** Resolves every ksym/kfunc extern against the kernel's BTF (and kallsyms for untyped ones). */
export function resolveKsyms(externs: Iterable<ExternSpec>, vmlinux: () => Btf, kallsymsPath?: string): Map<string, KsymValue> {
  const out = new Map<string, KsymValue>();
  const untyped: ExternSpec[] = [];
  for (const ext of externs) {
    if (ext.kind === "kconfig") continue;
    if (ext.kind === "ksym" && ext.typeId === undefined) {
      untyped.push(ext);
      continue;
    }
    const kind = ext.kind === "kfunc" ? "FUNC" : "VAR";
    const found = vmlinux().typesByName(ext.name, kind)[0];
    if (found) out.set(ext.name, { kind: "btf", btfId: found.id });
    else if (ext.weak) out.set(ext.name, { kind: "missing" });
    else {
      const what = ext.kind === "kfunc" ? "kernel function (kfunc)" : "kernel variable";
      throw new NotFoundError(`extern ${what} '${ext.name}' is not in the kernel's BTF (kernel module BTF is not searched); declare it __weak to load without it`);
    }
  }
  if (untyped.length > 0) {
    const addresses = kallsymsAddresses(new Set(untyped.map((e) => e.name)), kallsymsPath);
    for (const ext of untyped) {
      const address = addresses.get(ext.name);
      if (address === 0n && !ext.weak) {
        throw new PermissionError(`extern '${ext.name}': /proc/kallsyms shows address 0 (kptr_restrict hides addresses without CAP_SYSLOG)`);
      }
      if (address !== undefined) out.set(ext.name, { kind: "address", address });
      else if (ext.weak) out.set(ext.name, { kind: "missing" });
      else throw new NotFoundError(`extern '${ext.name}' __ksym is not in /proc/kallsyms; declare it __weak to load without it`);
    }
  }
  return out;
}
