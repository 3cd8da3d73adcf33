// `tsbpf gen min_core_btf` on good and bad input: the file it writes is
// what minimizeCoreBtf returns; an object without CO-RE relocations, a
// missing file, a non-BTF input or a non-object are typed errors that name
// the culprit, and leave no output behind (an existing OUTPUT untouched).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { loadBtfFile } from "../../src/btf/discovery.js";
import { loadObjectSpec } from "../../src/object/object-spec.js";
import { minimizeCoreBtf } from "../../src/gen/min-core-btf/index.js";
import { InvalidArgumentError } from "../../src/sys/errors.js";
import { tsbpf } from "../util/cli.js";
import { skipFor } from "../util/environment.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures", import.meta.url));
const WITH_CORE = path.join(FIXTURES, "btf/core.bpf.o");
const WITHOUT_CORE = path.join(FIXTURES, "binding/btf-global.bpf.o");
const VMLINUX = "/sys/kernel/btf/vmlinux";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-min-core-btf-cli-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the CLI writes exactly what minimizeCoreBtf returns, and -d says what it kept", (t) => {
  if (!existsSync(VMLINUX)) return skipFor(t, "no vmlinux BTF");
  withDir((dir) => {
    const out = path.join(dir, "min.btf");
    const r = tsbpf("-d", "gen", "min_core_btf", VMLINUX, out, WITH_CORE);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /min_core_btf: \d+ types, \d+ bytes for \d+ relocations/);
    const expected = minimizeCoreBtf(loadBtfFile(VMLINUX), [loadObjectSpec(WITH_CORE)]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), expected);
    assert.deepEqual(readdirSync(dir), ["min.btf"]);
  });
});

test("an object without CO-RE relocations is a typed error naming it", () => {
  assert.throws(() => minimizeCoreBtf(loadBtfFile(WITH_CORE), [loadObjectSpec(WITHOUT_CORE)]),
    (e: unknown) => e instanceof InvalidArgumentError && /object 'btf-global' has no CO-RE relocation records/.test(e.message));
});

test("bad input fails with a clear message and leaves no output (an existing OUTPUT is not touched)", () => {
  withDir((dir) => {
    const text = path.join(dir, "notes.txt");
    writeFileSync(text, "not BTF, not ELF\n");
    const cases: { args: string[]; message: RegExp }[] = [
      { args: [WITH_CORE, WITHOUT_CORE], message: /object 'btf-global' has no CO-RE relocation records in \.BTF\.ext/ },
      { args: [path.join(dir, "absent.btf"), WITH_CORE], message: /absent\.btf does not exist/ },
      { args: [text, WITH_CORE], message: /notes\.txt: (bad BTF magic|BTF is \d+ bytes, shorter than its 24-byte header)/ },
      { args: [WITH_CORE, path.join(dir, "absent.o")], message: /absent\.o does not exist/ },
      { args: [WITH_CORE, text], message: /missing ELF magic/ },
      { args: [WITH_CORE], message: /missing OBJECT/ },
    ];
    for (const { args, message } of cases) {
      const [input, ...objects] = args as [string, ...string[]];
      const fresh = path.join(dir, "fresh.btf");
      let r = tsbpf("gen", "min_core_btf", input, fresh, ...objects);
      assert.notEqual(r.status, 0, `${args.join(" ")} succeeded`);
      assert.match(r.stderr, message);
      assert.equal(existsSync(fresh), false, `${args.join(" ")} left ${fresh}`);
      const existing = path.join(dir, "existing.btf");
      writeFileSync(existing, "previous contents");
      r = tsbpf("gen", "min_core_btf", input, existing, ...objects);
      assert.notEqual(r.status, 0);
      assert.equal(readFileSync(existing, "utf8"), "previous contents");
      assert.deepEqual(readdirSync(dir).sort(), ["existing.btf", "notes.txt"], "a temporary file was left behind");
      rmSync(existing);
    }
  });
});
