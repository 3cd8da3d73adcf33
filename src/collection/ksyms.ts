// `.ksyms` externs: kernel variables and functions the program names.
// Typed variables and kfuncs resolve to their BTF id in the kernel's BTF —
// vmlinux first, then each module's own types, as libbpf searches — after a
// check that the object's declaration matches the kernel's type; untyped
// `extern const void x __ksym` resolves to its address from /proc/kallsyms.
// A kfunc is looked up by its essential name, as libbpf does: `f___v2` is a
// flavor of kfunc `f`, so an object can declare one prototype per kernel
// (all __weak) and pick the one that matched with bpf_ksym_exists().
// Variables and untyped symbols keep their full name (libbpf strips none).
import { readFileSync } from "node:fs";
import type { Btf } from "../btf/btf.js";
import { typeSignature } from "../btf/signature.js";
import type { BtfFunc, BtfVar } from "../btf/types.js";
import { skipModsAndTypedefs } from "../core/btf-util.js";
import { typesAreCompatible } from "../core/compat.js";
import { essentialName } from "../core/names.js";
import type { ExternSpec } from "../object/externs.js";
import { IncompatibleError, NotFoundError, PermissionError } from "../sys/errors.js";
import type { ModuleBtf, ModuleBtfSource } from "./module-btf.js";

/** What a ksym extern resolved to. */
export type KsymValue =
  /** A typed variable or a kfunc: its id in vmlinux BTF, or in `module`'s BTF when it lives in a module. */
  | { readonly kind: "btf"; readonly btfId: number; readonly module?: ModuleBtf }
  /** An untyped symbol: its kernel address. */
  | { readonly kind: "address"; readonly address: bigint }
  /** A `__weak` extern the kernel lacks: address 0, and kfunc calls to it are poisoned. */
  | { readonly kind: "missing" };

/** Where ksyms are looked up. */
export interface KsymSources {
  /** The running kernel's BTF. */
  readonly vmlinux: () => Btf;
  /** Modules searched when vmlinux lacks a symbol (read only then); default none. */
  readonly modules?: ModuleBtfSource;
  /** Default /proc/kallsyms. */
  readonly kallsymsPath?: string;
}

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

/**
 * Resolves every ksym/kfunc extern of an object whose BTF is `local`.
 * Throws NotFoundError for a missing extern that is not `__weak`, and
 * IncompatibleError when the kernel's type does not match the declaration
 * (libbpf's CO-RE "types are compatible" rule); a `__weak` kfunc whose
 * prototype does not match is treated as missing, as libbpf does. Each kfunc
 * flavor (`f___v1`, `f___v2`) is checked on its own against the kernel's `f`.
 */
export function resolveKsyms(externs: Iterable<ExternSpec>, local: Btf, sources: KsymSources): Map<string, KsymValue> {
  const out = new Map<string, KsymValue>();
  const untyped: ExternSpec[] = [];
  for (const ext of externs) {
    if (ext.kind === "kconfig") continue;
    if (ext.kind === "ksym" && ext.typeId === undefined) {
      untyped.push(ext);
      continue;
    }
    const kernelName = ext.kind === "kfunc" ? essentialName(ext.name) : ext.name;
    const what = (ext.kind === "kfunc" ? "kernel function (kfunc)" : "kernel variable") + ` '${ext.name}'` +
      (kernelName === ext.name ? "" : ` (a flavor of '${kernelName}')`);
    const found = findKernelSymbol(kernelName, ext.kind === "kfunc" ? "FUNC" : "VAR", sources);
    if (!found) {
      if (!ext.weak) throw new NotFoundError(`extern ${what} is not in the kernel's BTF (vmlinux or a loaded module's); declare it __weak to load without it`);
      out.set(ext.name, { kind: "missing" });
      continue;
    }
    // The object's FUNC_PROTO against the kernel's, or the variable's type (modifiers skipped on both sides).
    const localType = ext.typeId ?? 0;
    const kernelType = found.type.kind === "FUNC" ? found.type.type : skipModsAndTypedefs(found.btf, found.type.type);
    if (!typesAreCompatible(local, localType, found.btf, kernelType)) {
      if (ext.kind === "kfunc" && ext.weak) {
        out.set(ext.name, { kind: "missing" });
        continue;
      }
      const where = found.module ? `module ${found.module.name}` : "vmlinux";
      throw new IncompatibleError(
        `extern ${what}: the object declares it as [${localType}] '${describe(local, localType)}', ` +
          `which is incompatible with ${where}'s [${kernelType}] '${describe(found.btf, kernelType)}'`,
      );
    }
    out.set(ext.name, found.module ? { kind: "btf", btfId: found.type.id, module: found.module } : { kind: "btf", btfId: found.type.id });
  }
  if (untyped.length > 0) {
    const addresses = kallsymsAddresses(new Set(untyped.map((e) => e.name)), sources.kallsymsPath);
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

interface KernelSymbol {
  readonly btf: Btf;
  readonly type: BtfFunc | BtfVar;
  /** Undefined for vmlinux. */
  readonly module?: ModuleBtf;
}

/** The FUNC or VAR named `name`: vmlinux first, then the first module whose own types have it. */
function findKernelSymbol(name: string, kind: "FUNC" | "VAR", sources: KsymSources): KernelSymbol | undefined {
  const vmlinux = sources.vmlinux();
  const inVmlinux = vmlinux.typesByName(name, kind)[0];
  if (inVmlinux) return { btf: vmlinux, type: inVmlinux };
  for (const module of sources.modules?.() ?? []) {
    // Split BTF also finds base (vmlinux) types by name; only the module's own count.
    const own = module.btf.typesByName(name, kind).find((t) => t.id >= module.btf.firstId);
    if (own) return { btf: module.btf, type: own, module };
  }
  return undefined;
}

/** A type on one line for messages ("struct task_struct *(struct task_struct *)"). */
function describe(btf: Btf, id: number): string {
  return typeSignature(btf, id).trim() || `kind ${btf.kindOf(id)}`;
}
