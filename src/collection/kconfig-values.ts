// Writing .kconfig extern values into the .kconfig map's bytes, in the
// object's layout, from the values a loader supplies. Pure: the kernel
// loader (./kconfig.ts) reads the running kernel's config, the user-space
// machine takes values from its options.
import type { Btf } from "../btf/btf.js";
import type { BtfType } from "../btf/types.js";
import type { ExternSpec } from "../object/externs.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";

/** libbpf's `enum libbpf_tristate` values. */
export const Tristate = { NO: 0, YES: 1, MODULE: 2 } as const;

/** How a kconfig value is stored, from the extern's BTF type. */
type KconfigKind = "bool" | "char" | "tristate" | "int" | "string";

/** Values the loader supplies itself (they are not in the kernel config). */
export interface KconfigSources {
  /** CONFIG_* option → value ("y", "m", "n", "250", "\"str\""); null when no config file was found. */
  config: ReadonlyMap<string, string> | null;
  /** Says where a missing value should have come from, in errors (default: the running kernel's config). */
  missingHint?: string;
  /** LINUX_KERNEL_VERSION (KERNEL_VERSION(a,b,c) of the running kernel). */
  kernelVersion: number;
  /** LINUX_HAS_BPF_COOKIE / LINUX_HAS_SYSCALL_WRAPPER. */
  hasBpfCookie: boolean;
  hasSyscallWrapper: boolean;
}

function skipMods(btf: Btf, id: number): BtfType {
  let t = btf.typeById(id);
  for (let i = 0; i < 32 && (t.kind === "TYPEDEF" || t.kind === "CONST" || t.kind === "VOLATILE" || t.kind === "RESTRICT"); i++) t = btf.typeById(t.type);
  return t;
}

function kindOf(btf: Btf, ext: ExternSpec): KconfigKind {
  const t = skipMods(btf, ext.typeId ?? 0);
  if (t.kind === "INT") {
    if (t.size === 1 && t.bool) return "bool";
    if (t.size === 1 && t.char) return "char";
    return "int";
  }
  if (t.kind === "ENUM" && t.name === "libbpf_tristate") return "tristate";
  if (t.kind === "ENUM" || t.kind === "ENUM64") return "int";
  if (t.kind === "ARRAY") {
    const elem = skipMods(btf, t.type);
    if (elem.kind === "INT" && elem.size === 1) return "string";
  }
  throw new InvalidArgumentError(`kconfig extern '${ext.name}' has type ${t.kind} '${t.name}', which libbpf cannot fill (bool, char, tristate, integer or char array)`, ext.name);
}

function isSigned(btf: Btf, ext: ExternSpec): boolean {
  const t = skipMods(btf, ext.typeId ?? 0);
  return (t.kind === "INT" || t.kind === "ENUM" || t.kind === "ENUM64") && t.signed;
}

/** Writes `value` (bigint) into `size` bytes at `off`, refusing values that do not fit. */
function putInt(view: DataView, off: number, size: number, value: bigint, signed: boolean, le: boolean, name: string): void {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (value < min || value > max) throw new InvalidArgumentError(`kconfig extern '${name}': value ${value} does not fit in ${size} bytes`, name);
  const u = BigInt.asUintN(Number(bits), value);
  switch (size) {
    case 1: view.setUint8(off, Number(u)); break;
    case 2: view.setUint16(off, Number(u), le); break;
    case 4: view.setUint32(off, Number(u), le); break;
    case 8: view.setBigUint64(off, u, le); break;
    default: throw new InvalidArgumentError(`kconfig extern '${name}' is ${size} bytes; integers must be 1, 2, 4 or 8 bytes`, name);
  }
}

function setValue(btf: Btf, ext: ExternSpec, raw: string, out: DataView, le: boolean): void {
  const off = ext.kconfigOffset ?? 0;
  const size = ext.size ?? 0;
  const kind = kindOf(btf, ext);
  const tri = raw === "y" || raw === "m" || raw === "n";
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`kconfig extern '${ext.name}' (${kind}): value ${JSON.stringify(raw)} ${why}`, ext.name);
  };
  switch (kind) {
    case "bool":
      if (raw === "m") bad("is a module ('m'); declare it as enum libbpf_tristate to accept modules");
      if (!tri) bad("is not y/n");
      out.setUint8(off, raw === "y" ? 1 : 0);
      return;
    case "tristate":
      if (!tri) bad("is not y/m/n");
      putInt(out, off, size, BigInt(raw === "y" ? Tristate.YES : raw === "m" ? Tristate.MODULE : Tristate.NO), false, le, ext.name);
      return;
    case "char":
      if (tri) out.setUint8(off, raw.charCodeAt(0));
      else bad("is not y/m/n");
      return;
    case "string": {
      const m = /^"(.*)"$/.exec(raw);
      const text = new TextEncoder().encode(m ? m[1] : raw);
      // Truncated like libbpf, always NUL-terminated.
      const n = Math.min(text.byteLength, size - 1);
      for (let i = 0; i < n; i++) out.setUint8(off + i, text[i]!);
      out.setUint8(off + n, 0);
      return;
    }
    case "int": {
      if (tri) bad("is y/m/n, not a number");
      let v: bigint;
      try {
        v = raw.startsWith("-") ? -BigInt(raw.slice(1)) : BigInt(raw);
      } catch {
        return bad("is not a number");
      }
      putInt(out, off, size, v, isSigned(btf, ext), le, ext.name);
    }
  }
}

/**
 * Fills the .kconfig map bytes for every kconfig extern. A strong extern the
 * kernel does not define is a NotFoundError; a `__weak` one stays zero.
 */
export function fillKconfig(btf: Btf, externs: Iterable<ExternSpec>, bytes: Uint8Array, littleEndian: boolean, src: KconfigSources): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const ext of externs) {
    if (ext.kind !== "kconfig") continue;
    let raw: string | undefined;
    if (ext.name === "LINUX_KERNEL_VERSION") raw = String(src.kernelVersion);
    else if (ext.name === "LINUX_HAS_BPF_COOKIE") raw = src.hasBpfCookie ? "y" : "n";
    else if (ext.name === "LINUX_HAS_SYSCALL_WRAPPER") raw = src.hasSyscallWrapper ? "y" : "n";
    else if (ext.name.startsWith("CONFIG_")) raw = src.config?.get(ext.name);
    else if (!ext.weak) throw new NotFoundError(`kconfig extern '${ext.name}' is not a CONFIG_* option or a value libbpf defines (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER)`);
    if (raw === undefined) {
      if (ext.weak) continue;
      const where = src.missingHint ?? (src.config ? "the running kernel's config does not set it" : "no kernel config was found (/proc/config.gz, /boot/config-$(uname -r))");
      throw new NotFoundError(`kconfig extern '${ext.name}' is required (not __weak) but ${where}`);
    }
    setValue(btf, ext, raw, view, littleEndian);
  }
}
