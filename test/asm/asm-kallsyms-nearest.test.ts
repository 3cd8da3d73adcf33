// Kallsyms.nearest: the function an address falls in (for stack traces),
// on a saved kallsyms file with known addresses and on the real one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Kallsyms } from "../../src/asm/kallsyms.js";

test("nearest: the symbol at or below the address and the offset into it", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-kallsyms-"));
  try {
    const file = path.join(dir, "kallsyms");
    writeFileSync(file, [
      "ffffffff81000000 T _stext", "ffffffff81000100 T vfs_read", "ffffffff81000200 t helper\t[mod]",
      "ffffffff814cc810 T __bpf_call_base", "ffffffff90000000 T last",
    ].join("\n") + "\n");
    const k = new Kallsyms(file);
    assert.deepEqual(k.nearest(0xffffffff81000100n), { name: "vfs_read", offset: 0n });
    assert.deepEqual(k.nearest(0xffffffff8100011cn), { name: "vfs_read", offset: 0x1cn });
    assert.deepEqual(k.nearest(0xffffffff810001ffn), { name: "vfs_read", offset: 0xffn });
    assert.deepEqual(k.nearest(0xffffffff81000200n), { name: "helper", offset: 0n });
    assert.deepEqual(k.nearest(0xffffffffa0000000n), { name: "last", offset: 0x10000000n });
    assert.equal(k.nearest(0xffffffff80ffffffn), undefined, "below the first symbol");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nearest on the running kernel: a function's own address maps to it", () => {
  const line = readFileSync("/proc/kallsyms", "latin1").split("\n").find((l) => / T vfs_read$/.test(l));
  assert.ok(line, "vfs_read in kallsyms");
  const address = BigInt(`0x${line.split(" ")[0]}`);
  const k = new Kallsyms();
  assert.equal(k.nearest(address + 4n)?.name, "vfs_read");
  assert.equal(k.nearest(address + 4n)?.offset, 4n);
});
