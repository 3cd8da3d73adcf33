// Synthetic target BTF for test/fixtures/core/core-cases.bpf.c: the same
// type names as the fixture's local types, laid out differently (members
// renamed, reordered, resized, removed, nested in anonymous members,
// bitfields moved, enums renumbered), plus targets that make the
// core-ambiguous fixture ambiguous.
import { TargetBtfBuilder } from "./target-btf.js";

/** The main synthetic kernel: ids of the interesting types are returned for assertions. */
export function reshapedKernel(): { builder: TargetBtfBuilder; coreS: number; coreInner: number } {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  const uint = b.int("unsigned int", 4, false);
  const long = b.int("long", 8, true);
  const ulong = b.int("unsigned long", 8, false);
  const char = b.int("char", 1, true);
  const coreInner = b.struct("core_inner", 16, [["i2", long, 0], ["i1", int, 64]]);
  const innerPtr = b.ptr(coreInner);
  b.typedef("core_inner_t", coreInner);
  const xy = b.struct("", 8, [["x", int, 0], ["y", int, 32]]);
  const anonUnion = b.struct("", 8, [["", xy, 0]], "UNION");
  const arr8 = b.array(int, 8, int);
  const flex = b.array(char, 0, int);
  const coreE = b.enum("core_e", [["CORE_B", 20], ["CORE_A", 10], ["CORE_NEG", -7]], true);
  const coreS = b.struct("core_s", 96, [
    ["ptr", innerPtr, 0],
    ["b", ulong, 64],
    ["a", int, 128],
    ["c", int, 160],
    ["", anonUnion, 192],
    ["arr", arr8, 256],
    ["bf2", uint, 512, 5],
    ["bf1", uint, 517, 3],
    ["sbf", int, 540, 6],
    ["in", coreInner, 576],
    ["e", coreE, 704],
    ["new_field", int, 736],
    ["tail", flex, 768],
  ]);
  b.struct("core_u", 8, [["l", long, 0], ["i", int, 0]], "UNION");
  b.enum64("core_e64", [["CORE64_SMALL", 8n], ["CORE64_BIG", 0xfedcba9876543210n]]);
  b.struct("core_tm", 16, [["p", innerPtr, 0], ["x", int, 64]]);
  b.struct("core_tm_bad", 8, [["x", long, 0]]);
  return { builder: b, coreS, coreInner };
}

/** Two flavors of core_amb with `f` at different offsets: relocations on it are ambiguous. */
export function ambiguousKernel(): TargetBtfBuilder {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  b.struct("core_amb___one", 8, [["f", int, 0]]);
  b.struct("core_amb___two", 8, [["g", int, 0], ["f", int, 32]]);
  return b;
}

/** Two flavors of core_amb that agree on `f`: not ambiguous. */
export function agreeingKernel(): TargetBtfBuilder {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  b.struct("core_amb___one", 8, [["f", int, 32], ["g", int, 0]]);
  b.struct("core_amb___two", 8, [["h", int, 0], ["f", int, 32]]);
  return b;
}

/** Target for core-edge.bpf.c: floats, function pointers, flattened unions, enum64, resized unsigned fields. */
export function edgeKernel(): TargetBtfBuilder {
  const b = new TargetBtfBuilder();
  const int = b.int("int", 4, true);
  const long = b.int("long", 8, true);
  const ulong = b.int("unsigned long", 8, false);
  const ushort = b.int("unsigned short", 2, false);
  const uchar = b.int("unsigned char", 1, false);
  const uint = b.int("unsigned int", 4, false);
  const double = b.add({ kind: "FLOAT", name: "double", kindFlag: false, size: 8 });
  b.typedef("edge_dbl", double);
  const proto = b.add({ kind: "FUNC_PROTO", name: "", kindFlag: false, returnType: int, params: [{ name: "", type: int }, { name: "", type: ulong }] });
  const fn = b.typedef("edge_fn", b.ptr(proto));
  const fwdTarget = b.struct("edge_fwd_target", 4, [["z", int, 0]]);
  const small = b.enum64("edge_small", [["EDGE_S3", 3n], ["EDGE_S2", 0x2_0000_0000n], ["EDGE_S1", 1n]]);
  b.enum("edge_wide", [["EDGE_W2", 200], ["EDGE_W1", 100]]);
  const item = b.struct("edge_item", 8, [["w", int, 0], ["v", int, 32]]);
  const row = b.array(int, 3, int);
  const matrix = b.array(row, 2, int);
  const items = b.array(item, 4, int);
  const fwdPtr = b.ptr(fwdTarget);
  b.struct("edge", 120, [
    ["cv", int, 0],
    ["f", double, 64],
    ["uc", ushort, 128],
    ["us", uint, 160],
    ["m", matrix, 192],
    ["items", items, 384],
    ["fn", fn, 640],
    ["es", small, 704],
    ["opaque", fwdPtr, 768],
    ["ua", int, 832],
    ["ub", long, 896],
    ["plain", int, 960, 7],
    ["flag", uchar, 968],
  ]);
  b.struct("edge_tm_fwd", 8, [["p", fwdPtr, 0]]);
  b.struct("edge_tm_fn", 8, [["fn", fn, 0]]);
  return b;
}
