// Runs test/oracle/object_dump.c (compiled on first use against libbpf-dev)
// to learn what libbpf sees in an object file.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A program as libbpf reports it. */
export interface OracleProgram {
  name: string;
  section: string;
  type: number;
  expectedAttachType: number;
  autoload: boolean;
  insnCount: number;
  /** Hex of the loaded instructions (only with load). */
  insns?: string;
}

/** A map as libbpf reports it. */
export interface OracleMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  keyTypeId: number;
  valueTypeId: number;
  internal: boolean;
}

/** libbpf's view of one object. */
export interface OracleObject {
  error?: number;
  loadError?: number;
  programs: OracleProgram[];
  maps: OracleMap[];
}

const source = path.resolve(import.meta.dirname, "../../../test/oracle/object_dump.c");
let binary: string | null | undefined;

/** Path of the compiled oracle, or null (with the reason in `oracleUnavailable`) when it cannot be built. */
export function oracleBinary(): string | null {
  if (binary !== undefined) return binary;
  binary = null;
  if (!existsSync("/usr/include/bpf/libbpf.h")) {
    oracleUnavailable = "libbpf-dev is not installed";
    return null;
  }
  const out = path.join(mkdtempSync(path.join(tmpdir(), "tsbpf-oracle-")), "object_dump");
  try {
    execFileSync("cc", ["-O1", "-o", out, source, "-lbpf"], { stdio: "pipe" });
    binary = out;
  } catch (e) {
    oracleUnavailable = `cannot compile the libbpf oracle: ${(e as Error).message}`;
  }
  return binary;
}

/** Why the oracle is unavailable. */
export let oracleUnavailable = "";

/** libbpf's view of the object bytes (written to a temp file), opened with `name` as object name. */
export function libbpfView(bytes: Uint8Array, name: string, load = false): OracleObject {
  const bin = oracleBinary();
  if (!bin) throw new Error(oracleUnavailable);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "tsbpf-obj-")), "object.o");
  writeFileSync(file, bytes);
  const args = [file, name];
  if (load) args.push("load");
  return JSON.parse(execFileSync(bin, args, { encoding: "utf8", maxBuffer: 64 << 20 })) as OracleObject;
}
