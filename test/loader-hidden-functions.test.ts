// `__hidden` global subprograms are marked static in the BTF sent to the
// kernel, as libbpf does, so the verifier checks them in their caller's
// context: our own hidden helper and libbpf's <bpf/usdt.bpf.h> helpers load,
// with the tags and xlated dumps libbpf (`bpftool prog loadall`) produces;
// the same helper without `__hidden` is refused by both loaders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { loadObjectSpec } from "../src/object/index.js";
import { Collection } from "../src/collection.js";
import { Btf } from "../src/btf/btf.js";
import { VerifierError } from "../src/program/verifier-error.js";
import { bpffsTempDir, haveBpftool, openFdCount } from "./util/kernel.js";
import { describeLoadedProgram, firstDifference, loadWithLibbpf } from "./util/libbpf-oracle.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/loader/${name}.bpf.o`, import.meta.url));

/** Linkage of each named FUNC in the BTF tsbpf sends to the kernel. */
function kernelFuncLinkage(file: string, names: readonly string[]): Record<string, string> {
  const btf = new Btf(loadObjectSpec(file).btfForKernel()!);
  return Object.fromEntries(names.map((n) => [n, btf.typesByName(n, "FUNC")[0]?.linkage ?? "missing"]));
}

/** Loads `name` with libbpf and with tsbpf and asserts every program is identical. */
function assertSameAsLibbpf(name: string, programs: readonly string[]): void {
  assert.ok(haveBpftool(), "bpftool (the libbpf oracle) is not installed");
  const file = fixture(name);
  const pins = bpffsTempDir("tsbpf-loader-hidden-");
  try {
    const theirs = loadWithLibbpf(file, path.join(pins.path, name));
    assert.ok(typeof theirs !== "string", `libbpf refused ${name}: ${String(theirs)}`);
    using c = Collection.load(loadObjectSpec(file));
    assert.deepEqual([...c.programs.keys()].sort(), [...programs].sort());
    assert.deepEqual([...theirs.keys()].sort(), [...programs].sort());
    for (const [prog, p] of theirs) {
      const q = describeLoadedProgram(c.program(prog).fd);
      assert.equal(q.tag, p.tag, `${name}/${prog}: tag; ${firstDifference(p.dump, q.dump)}`);
      assert.equal(q.dump, p.dump);
    }
  } finally {
    pins.cleanup();
  }
}

test("a __hidden global subprogram is static in the kernel's BTF and loads as libbpf loads it", () => {
  const fds = openFdCount();
  assert.deepEqual(kernelFuncLinkage(fixture("hidden"), ["add_one_through_pointer", "hidden_helper_caller"]), {
    add_one_through_pointer: "static", hidden_helper_caller: "global",
  });
  assertSameAsLibbpf("hidden", ["hidden_helper_caller"]);
  // The value comes back through the hidden helper: skb->len + 1 (a socket filter sees the 64 bytes less their 14-byte Ethernet header).
  using c = Collection.load(loadObjectSpec(fixture("hidden")));
  assert.equal(c.program("hidden_helper_caller").testRun({ data: new Uint8Array(64) }).retval, 51);
  c.close();
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("the same subprogram without __hidden stays global and the kernel refuses it, as with libbpf", () => {
  assert.deepEqual(kernelFuncLinkage(fixture("global-unsafe"), ["add_one_through_pointer"]), { add_one_through_pointer: "global" });
  assert.ok(haveBpftool(), "bpftool (the libbpf oracle) is not installed");
  const pins = bpffsTempDir("tsbpf-loader-hidden-");
  try {
    const theirs = loadWithLibbpf(fixture("global-unsafe"), path.join(pins.path, "global-unsafe"));
    assert.equal(typeof theirs, "string", "libbpf refuses the global helper");
  } finally {
    pins.cleanup();
  }
  assert.throws(() => Collection.load(loadObjectSpec(fixture("global-unsafe"))), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.match(e.reason, /invalid mem access 'mem_or_null'/);
    assert.match(e.message, /'global_helper_caller'/);
    return true;
  });
});

test("an object including <bpf/usdt.bpf.h> loads: its __weak __hidden helpers are static, programs identical to libbpf's", () => {
  assert.deepEqual(kernelFuncLinkage(fixture("usdt"), ["bpf_usdt_arg_cnt", "bpf_usdt_arg", "bpf_usdt_cookie"]), {
    bpf_usdt_arg_cnt: "static", bpf_usdt_arg: "static", bpf_usdt_cookie: "static",
  });
  assertSameAsLibbpf("usdt", ["usdt_auto_attach_probe", "usdt_with_args_macro"]);
});
