// `__hidden` global subprograms are marked static in the BTF sent to the
// kernel, as libbpf does, so the verifier checks them in their caller's
// context: our own hidden helper and libbpf's <bpf/usdt.bpf.h> helpers load,
// with the tags and xlated dumps libbpf (`bpftool prog loadall`) produces;
// the same helper without `__hidden` is refused by both loaders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { Btf } from "../../src/btf/btf.js";
import { VerifierError } from "../../src/program/verifier-error.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { assertLoadsLikeLibbpf, libbpfRefusal } from "../util/libbpf-oracle.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/loader/${name}.bpf.o`, import.meta.url));

/** Linkage of each named FUNC in the BTF tsbpf sends to the kernel. */
function kernelFuncLinkage(file: string, names: readonly string[]): Record<string, string> {
  const btf = new Btf(loadObjectSpec(file).btfForKernel()!);
  return Object.fromEntries(names.map((n) => [n, btf.typesByName(n, "FUNC")[0]?.linkage ?? "missing"]));
}

/** FUNC linkages of the BTF the kernel holds for a loaded program, as bpftool dumps it. */
function bpftoolFuncLinkage(...program: string[]): Record<string, string> {
  const show = JSON.parse(execFileSync("bpftool", ["prog", "show", ...program, "-j"], { encoding: "utf8" })) as { btf_id: number };
  const dump = JSON.parse(execFileSync("bpftool", ["btf", "dump", "id", String(show.btf_id), "-j"], { encoding: "utf8" })) as {
    types: { kind: string; name: string; linkage?: string }[];
  };
  return Object.fromEntries(dump.types.filter((t) => t.kind === "FUNC").map((t) => [t.name, t.linkage ?? ""]));
}

/** The FUNC linkages in the kernel's copy of the program BTF: libbpf's load and tsbpf's must agree. */
function assertSameLoadedBtfLinkage(name: string, program: string): Record<string, string> {
  const pins = bpffsTempDir("tsbpf-loader-hidden-");
  try {
    execFileSync("bpftool", ["prog", "loadall", fixture(name), `${pins.path}/p`], { stdio: "ignore" });
    const theirs = bpftoolFuncLinkage("pinned", `${pins.path}/p/${program}`);
    using c = Collection.load(loadObjectSpec(fixture(name)));
    const mine = bpftoolFuncLinkage("id", String(c.program(program).id));
    assert.deepEqual(mine, theirs);
    return mine;
  } finally {
    pins.cleanup();
  }
}

test("a __hidden global subprogram is static in the kernel's BTF and loads as libbpf loads it", () => {
  const fds = openFdCount();
  assert.deepEqual(kernelFuncLinkage(fixture("hidden"), ["add_one_through_pointer", "hidden_helper_caller"]), {
    add_one_through_pointer: "static", hidden_helper_caller: "global",
  });
  assertLoadsLikeLibbpf(fixture("hidden"), ["hidden_helper_caller"]);
  assert.equal(assertSameLoadedBtfLinkage("hidden", "hidden_helper_caller").add_one_through_pointer, "static");
  // The value comes back through the hidden helper: skb->len + 1 (a socket filter sees the 64 bytes less their 14-byte Ethernet header).
  using c = Collection.load(loadObjectSpec(fixture("hidden")));
  assert.equal(c.program("hidden_helper_caller").testRun({ data: new Uint8Array(64) }).retval, 51);
  c.close();
  assert.equal(openFdCount(), fds, "no fd leaked");
});

test("the same subprogram without __hidden stays global and the kernel refuses it, as with libbpf", () => {
  assert.deepEqual(kernelFuncLinkage(fixture("global-unsafe"), ["add_one_through_pointer"]), { add_one_through_pointer: "global" });
  assert.match(libbpfRefusal(fixture("global-unsafe")), /failed to load/);
  assert.throws(() => Collection.load(loadObjectSpec(fixture("global-unsafe"))), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.match(e.reason, /invalid mem access 'mem_or_null'/);
    assert.match(e.message, /'global_helper_caller'/);
    // The advice points at the global function's argument, not at a NULL check the caller already has.
    assert.equal(e.failure, "null-dereference");
    assert.match(e.hint ?? "", /'add_one_through_pointer' is a global function, which the verifier checks on its own/);
    assert.match(e.hint ?? "", /make the function static or `__hidden`/);
    return true;
  });
});

test("an object including <bpf/usdt.bpf.h> loads: its __weak __hidden helpers are static, programs identical to libbpf's", () => {
  assert.deepEqual(kernelFuncLinkage(fixture("usdt"), ["bpf_usdt_arg_cnt", "bpf_usdt_arg", "bpf_usdt_cookie"]), {
    bpf_usdt_arg_cnt: "static", bpf_usdt_arg: "static", bpf_usdt_cookie: "static",
  });
  assertLoadsLikeLibbpf(fixture("usdt"), ["usdt_auto_attach_probe", "usdt_with_args_macro"]);
  assert.equal(assertSameLoadedBtfLinkage("usdt", "usdt_auto_attach_probe").bpf_usdt_arg, "static");
});
