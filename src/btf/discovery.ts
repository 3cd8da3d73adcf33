// Finding kernel BTF: /sys/kernel/btf/vmlinux, module BTF beside it (split on
// vmlinux), the vmlinux image locations other loaders search on kernels
// without sysfs BTF, and explicit files (raw BTF or ELF with .BTF, as
// btfhub ships them). Reads files only; no bpf(2).
import { existsSync, readSync, closeSync, readdirSync } from "node:fs";
import { release } from "node:os";
import { fileError, openRegularFile, readElfSections, readRegularFile } from "../elf/file.js";
import { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { NativeAddonError, NotFoundError } from "../sys/errors.js";
import { native } from "../sys/native.js";
import { markReadOnlyMapping } from "./mapped-bytes.js";

/** Where sysfs exposes the running kernel's BTF (Linux 5.4+, CONFIG_DEBUG_INFO_BTF). */
export const SYSFS_BTF_DIR = "/sys/kernel/btf";

/** vmlinux image locations searched when sysfs BTF is missing (the same list libbpf uses). */
export function vmlinuxSearchPaths(kernelRelease = release()): string[] {
  const r = kernelRelease;
  return [
    `/boot/vmlinux-${r}`,
    `/lib/modules/${r}/vmlinux-${r}`,
    `/lib/modules/${r}/build/vmlinux`,
    `/usr/lib/modules/${r}/kernel/vmlinux`,
    `/usr/lib/debug/boot/vmlinux-${r}`,
    `/usr/lib/debug/boot/vmlinux-${r}.debug`,
    `/usr/lib/debug/lib/modules/${r}/vmlinux`,
  ];
}

/** Options for loading BTF from a file. */
export interface BtfFileOptions {
  /** Base BTF when the file holds split BTF (a module's). */
  base?: Btf;
}

/**
 * Loads BTF from a file: raw BTF (starts with the 0xeB9F magic) or an ELF
 * file whose .BTF section is read (vmlinux images, btfhub files, objects).
 */
export function loadBtfFile(path: string, options: BtfFileOptions = {}): Btf {
  const invalid = (m: string): BtfError => new BtfError(m);
  let magic: Uint8Array;
  try {
    magic = readPrefix(path, 4, invalid);
  } catch (e) {
    throw fileError(e, path, invalid);
  }
  if (magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46) {
    const { data } = readElfSections(path, [".BTF"]);
    const btf = data.get(".BTF");
    if (!btf) throw new BtfError(`${path} is an ELF file without a .BTF section`);
    return new Btf(btf, options);
  }
  return new Btf(readRegularFile(path, invalid), options);
}

function readPrefix(path: string, n: number, invalid: (message: string) => BtfError): Uint8Array {
  const { fd } = openRegularFile(path, invalid);
  try {
    const b = new Uint8Array(n);
    readSync(fd, b, 0, n, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

const PROT_READ = 1;
const MAP_PRIVATE = 2;

/**
 * The bytes of a sysfs BTF file. Recent kernels (Linux 6.16+) let
 * /sys/kernel/btf/vmlinux be mapped read-only, which skips copying ~5 MB
 * through thousands of read(2) calls; elsewhere this falls back to reading.
 * The kernel refuses writable and copy-on-write (MAP_PRIVATE + PROT_WRITE)
 * mappings of it, and a copy costs what the mapping saves (fresh pages are
 * faulted in), so the mapping is marked read-only: Btf then hands callers
 * copies, never a view a store through would crash the process.
 */
function readSysfsBtf(path: string): Uint8Array {
  const invalid = (m: string): BtfError => new BtfError(m);
  const { fd, size } = openRegularFile(path, invalid);
  try {
    if (size > 0) {
      const mapped = mapReadOnly(fd, size);
      if (typeof mapped !== "number") {
        markReadOnlyMapping(mapped);
        return new Uint8Array(mapped);
      }
    }
  } finally {
    closeSync(fd);
  }
  return readRegularFile(path, invalid);
}

/** The read-only mapping, or a number (-errno, or -1 without the native addon: BTF parsing must work without it). */
function mapReadOnly(fd: number, size: number): ArrayBuffer | number {
  try {
    return native.mmap(fd, size, PROT_READ, MAP_PRIVATE, 0);
  } catch (e) {
    if (e instanceof NativeAddonError) return -1;
    throw e;
  }
}

/**
 * The parsed kernel BTF, held weakly: a load holds it (through its own
 * references) while it runs, and once no collection, module BTF or caller
 * holds it, garbage collection frees its indexes and decoded types (a few
 * MiB for vmlinux) and unmaps the file. A tracer loads once and then runs
 * for hours; keeping vmlinux's index for a load that never comes again
 * would be its largest allocation.
 */
let cachedKernelBtf: WeakRef<Btf> | undefined;

/**
 * The running kernel's BTF: /sys/kernel/btf/vmlinux, else the first vmlinux
 * image found in vmlinuxSearchPaths(). Parsed once and cached while anything
 * holds it (the same object for every call meanwhile); parsed again after it
 * was garbage collected. Its `bytes`, `words` and `strings.bytes` are copies
 * when the sysfs file is mapped (made on first access; parsing itself reads
 * the mapping in place).
 */
export function kernelBtf(): Btf {
  let btf = cachedKernelBtf?.deref();
  if (btf === undefined) {
    btf = findKernelBtf();
    cachedKernelBtf = new WeakRef(btf);
  }
  return btf;
}

/** Forgets the cached kernel BTF (e.g. after tests swapped files). */
export function flushKernelBtfCache(): void {
  cachedKernelBtf = undefined;
}

/** Parses the running kernel's BTF afresh (no cache): what a benchmark of "open vmlinux BTF" should time. */
export function parseKernelBtf(): Btf {
  return findKernelBtf();
}

function findKernelBtf(): Btf {
  const sysfs = `${SYSFS_BTF_DIR}/vmlinux`;
  if (existsSync(sysfs)) return new Btf(readSysfsBtf(sysfs));
  for (const path of vmlinuxSearchPaths()) {
    if (existsSync(path)) return loadBtfFile(path);
  }
  throw new NotFoundError(
    `no kernel BTF: ${sysfs} is missing (kernel built without CONFIG_DEBUG_INFO_BTF?) and no vmlinux image was found in ` +
      vmlinuxSearchPaths().join(", ") + "; pass an explicit BTF file (e.g. from btfhub) instead",
  );
}

/** Names of the kernel modules that expose BTF in sysfs (Linux 5.11+). */
export function moduleBtfNames(): string[] {
  if (!existsSync(SYSFS_BTF_DIR)) return [];
  return readdirSync(SYSFS_BTF_DIR).filter((n) => n !== "vmlinux").sort();
}

/** A module's BTF (/sys/kernel/btf/<module>), parsed as split BTF on vmlinux . */
export function moduleBtf(name: string, base: Btf = kernelBtf()): Btf {
  if (name.includes("/") || name === "vmlinux" || name === "" || name.startsWith(".")) throw new BtfError(`'${name}' is not a module name`);
  const path = `${SYSFS_BTF_DIR}/${name}`;
  if (!existsSync(path)) throw new NotFoundError(`module ${name} has no BTF (${path} is missing; is the module loaded?)`);
  return new Btf(readSysfsBtf(path), { base });
}
