// Debian's libbpf-tools ship each tool's BPF object embedded in the
// executable (a libbpf skeleton): an ELF64 image whose e_machine is EM_BPF.
// These helpers find and extract those images to use real-world, third-party
// compiled objects as test fixtures.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const EM_BPF = 247;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Directory the Debian package installs the tools into. */
export const LIBBPF_TOOLS_DIR = "/usr/sbin";

/** True when the tool's executable exists. */
export function haveLibbpfTool(tool: string): boolean {
  return existsSync(path.join(LIBBPF_TOOLS_DIR, tool));
}

/**
 * Every embedded BPF ELF object in `bytes`. An image's size is where its
 * section header table ends (e_shoff + e_shnum * e_shentsize), which is the
 * last thing libbpf-style linkers write.
 */
export function findEmbeddedBpfObjects(bytes: Uint8Array): Uint8Array[] {
  const found: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = indexOfMagic(bytes, 0); at >= 0; at = indexOfMagic(bytes, at + 1)) {
    if (at + 64 > bytes.length) break;
    const is64 = bytes[at + 4] === 2;
    const le = bytes[at + 5] === 1;
    if (!is64 || view.getUint16(at + 18, le) !== EM_BPF) continue;
    const shoff = Number(view.getBigUint64(at + 0x28, le));
    const shentsize = view.getUint16(at + 0x3a, le);
    const shnum = view.getUint16(at + 0x3c, le);
    const size = shoff + shnum * shentsize;
    if (size <= 64 || at + size > bytes.length) continue;
    found.push(bytes.slice(at, at + size));
    at += size - 1;
  }
  return found;
}

function indexOfMagic(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(ELF_MAGIC[0]!, from); i >= 0; i = bytes.indexOf(ELF_MAGIC[0]!, i + 1)) {
    if (bytes[i + 1] === ELF_MAGIC[1] && bytes[i + 2] === ELF_MAGIC[2] && bytes[i + 3] === ELF_MAGIC[3]) return i;
  }
  return -1;
}

/** The BPF object embedded in a libbpf tool ("opensnoop"), or undefined if the tool has none. */
export function extractToolObject(tool: string): Uint8Array | undefined {
  const file = path.join(LIBBPF_TOOLS_DIR, tool);
  if (!existsSync(file)) return undefined;
  return findEmbeddedBpfObjects(readFileSync(file))[0];
}

/** Extracts a tool's object into `dir` as <tool>.bpf.o and returns the path. */
export function writeToolObject(tool: string, dir: string): string | undefined {
  const obj = extractToolObject(tool);
  if (!obj) return undefined;
  const out = path.join(dir, `${tool}.bpf.o`);
  writeFileSync(out, obj);
  return out;
}

/** Names of the tools Debian's libbpf-tools package installs (empty when it is absent). */
export function libbpfTools(): string[] {
  try {
    return execFileSync("dpkg", ["-L", "libbpf-tools"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString().split("\n").filter((p) => p.startsWith(`${LIBBPF_TOOLS_DIR}/`)).map((p) => path.basename(p)).sort();
  } catch {
    return [];
  }
}
