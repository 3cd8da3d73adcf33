// bpftool as the oracle of the BTF dumpers: its output for a file, the
// objects both dumpers are compared on, and a comparison that names the
// first differing line instead of printing two multi-megabyte strings.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { writeToolObject } from "./libbpf-tools.js";
import { missingOracle } from "./environment.js";

/** libbpf-tools whose embedded objects carry a varied BTF (every kind appears in one of them). */
const TOOLS = ["opensnoop", "execsnoop", "runqlat", "biolatency", "tcpconnect", "bashreadline", "runqslower", "tcplife"];
const BTF_FIXTURES = fileURLToPath(new URL("../../../test/fixtures/btf", import.meta.url));

/** `bpftool [-j] btf dump file FILE format FORMAT`. */
export function bpftoolBtfDump(file: string, format: "c" | "raw", json = false): Buffer {
  return execFileSync("bpftool", [...(json ? ["-j"] : []), "btf", "dump", "file", file, "format", format], { maxBuffer: 1 << 28 });
}

/** Fails with the first differing line (and the column where it differs) unless the bytes are equal. */
export function assertSameText(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0) return;
  const a = Buffer.from(actual).toString("utf8").split("\n");
  const e = Buffer.from(expected).toString("utf8").split("\n");
  const line = a.findIndex((l, i) => l !== e[i]);
  const col = [...(a[line] ?? "")].findIndex((c, i) => c !== e[line]?.[i]);
  assert.fail(`${what}: line ${line + 1} differs at column ${col}\n  tsbpf:   ${JSON.stringify(a[line]?.slice(Math.max(0, col - 80), col + 80))}\n  bpftool: ${JSON.stringify(e[line]?.slice(Math.max(0, col - 80), col + 80))}`);
}

/**
 * Runs `body` on the BPF objects of the libbpf-tools above plus the BTF
 * fixtures (extracted to a scratch directory that is removed afterwards);
 * skips when there are none.
 */
export function withDumpObjects(t: TestContext, body: (files: string[]) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-btf-dump-"));
  try {
    const files = TOOLS.map((tool) => writeToolObject(tool, dir)).filter((f): f is string => f !== undefined);
    if (existsSync(BTF_FIXTURES)) {
      for (const f of readdirSync(BTF_FIXTURES)) if (f.endsWith(".o")) files.push(path.join(BTF_FIXTURES, f));
    }
    if (files.length === 0) return missingOracle(t, "libbpf-tools", "and there are no BTF fixtures");
    body(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
