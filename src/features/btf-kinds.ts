// Which BTF kinds the running kernel's BTF loader accepts, probed as libbpf
// does: load a tiny blob that uses the kind and see whether BPF_BTF_LOAD takes
// it. One table names each feature, the kernel that brought it and its probe,
// so the loader can sanitise for what is missing (btf/patch.ts) and a
// diagnostic can say which kernel a kind needs.
import { Attr, stableBytes } from "../sys/attr.js";
import { BtfLoadAttr, Cmd } from "../sys/layouts.js";
import { bpfRaw, SYS } from "../sys/syscall.js";
import { native } from "../sys/native.js";
import { assembleBtf } from "../btf/header.js";
import { Kind, infoWord } from "../btf/kinds.js";
import type { BtfKindSupport } from "../btf/patch.js";

/** What the running kernel's BTF loader accepts (the BTF layer's BtfKindSupport, probed). */
export type BtfKernelSupport = BtfKindSupport;
/** One BTF feature: a key of BtfKernelSupport. */
export type BtfFeature = keyof BtfKernelSupport;

/** One row of the BTF feature table. */
export interface BtfFeatureInfo {
  readonly feature: BtfFeature;
  /** What the feature is, in the kernel's words. */
  readonly what: string;
  /** The first Linux release whose BTF loader accepts it. */
  readonly minKernel: string;
  /** The probe's types after `[1] int`, as u32 words (strings: 1 "int", 5 "x", 7 "?.x"). */
  readonly probeTypes: readonly number[];
}

const X = 5;
const QX = 7;
const ONE_ENTRY = 1;

/** Every BTF feature the loader sanitises for, oldest first. */
export const BTF_FEATURES: readonly BtfFeatureInfo[] = [
  // [2] func_proto int(int x), [3] FUNC "x" static
  { feature: "func", what: "BTF_KIND_FUNC and BTF_KIND_FUNC_PROTO", minKernel: "5.0",
    probeTypes: [0, infoWord(Kind.FuncProto, ONE_ENTRY), 1, X, 1, X, infoWord(Kind.Func, 0), 2] },
  // [2] var "x" int static, [3] datasec "x" { [2] at 0, 4 bytes }
  { feature: "datasec", what: "BTF_KIND_VAR and BTF_KIND_DATASEC", minKernel: "5.2",
    probeTypes: [X, infoWord(Kind.Var, 0), 1, 0, X, infoWord(Kind.Datasec, ONE_ENTRY), 4, 2, 0, 4] },
  // [2] func_proto void(void), [3] FUNC "x" global
  { feature: "globalFunc", what: "BTF_KIND_FUNC with global linkage", minKernel: "5.6",
    probeTypes: [0, infoWord(Kind.FuncProto, 0), 0, X, infoWord(Kind.Func, 1), 2] },
  // [2] float "x" 4 bytes
  { feature: "float", what: "BTF_KIND_FLOAT", minKernel: "5.13", probeTypes: [X, infoWord(Kind.Float, 0), 4] },
  // [2] var "x" int, [3] decl_tag "x" on it (component -1)
  { feature: "declTag", what: "BTF_KIND_DECL_TAG", minKernel: "5.16",
    probeTypes: [X, infoWord(Kind.Var, 0), 1, 0, X, infoWord(Kind.DeclTag, 0), 2, 0xffffffff] },
  // [2] type_tag "x" → int, [3] ptr → [2]
  { feature: "typeTag", what: "BTF_KIND_TYPE_TAG", minKernel: "5.17",
    probeTypes: [X, infoWord(Kind.TypeTag, 0), 1, 0, infoWord(Kind.Ptr, 0), 2] },
  // [2] enum64 "x" 8 bytes, one value
  { feature: "enum64", what: "BTF_KIND_ENUM64 and signed enums", minKernel: "6.0",
    probeTypes: [X, infoWord(Kind.Enum64, ONE_ENTRY), 8, X, 0, 0] },
  // as datasec, named "?.x"
  { feature: "qmarkDatasec", what: "DATASEC names starting with '?'", minKernel: "6.4",
    probeTypes: [X, infoWord(Kind.Var, 0), 1, 0, QX, infoWord(Kind.Datasec, ONE_ENTRY), 4, 2, 0, 4] },
];

/** "BTF_KIND_ENUM64 and signed enums needs Linux 6.0": what a kernel lacking `feature` is missing. */
export function btfFeatureRequirement(feature: BtfFeature): string {
  const f = BTF_FEATURES.find((x) => x.feature === feature)!;
  return `${f.what} needs Linux ${f.minKernel}`;
}

/** The requirement of each feature `support` lacks (empty when it has them all). */
export function missingBtfFeatures(support: BtfKernelSupport): string[] {
  return BTF_FEATURES.filter((f) => !support[f.feature]).map((f) => btfFeatureRequirement(f.feature));
}

// [1] int (4 bytes, signed, 32 bits); the strings every probe refers to.
const INT: readonly number[] = [1, infoWord(Kind.Int, 0), 4, (1 << 24) | 32];
const PROBE_STRINGS = new TextEncoder().encode("\0int\0x\0?.x\0");

/** The BTF blob that probes `feature`: `[1] int` and the feature's types. */
export function btfFeatureProbe(feature: BtfFeature): Uint8Array {
  const types = Uint32Array.from([...INT, ...BTF_FEATURES.find((f) => f.feature === feature)!.probeTypes]);
  return assembleBtf(types, types.length, PROBE_STRINGS);
}

function kernelAccepts(bytes: Uint8Array): boolean {
  const data = stableBytes(bytes.byteLength);
  data.set(bytes);
  const attr = new Attr(BtfLoadAttr);
  attr.setPointer("btf", data).set("btf_size", data.byteLength);
  const r = bpfRaw(Cmd.BTF_LOAD, attr.address, attr.size);
  if (r < 0) return false;
  native.syscall(SYS.close, r);
  return true;
}

let cached: BtfKernelSupport | undefined;
let override: BtfKernelSupport | undefined;

/** Probes (once per process) which BTF kinds the kernel accepts. */
export function probeBtfSupport(): BtfKernelSupport {
  if (override) return override;
  cached ??= Object.fromEntries(BTF_FEATURES.map((f) => [f.feature, kernelAccepts(btfFeatureProbe(f.feature))])) as unknown as BtfKernelSupport;
  return cached;
}

/**
 * @internal Tests only: make probeBtfSupport (and so Collection.load) act as
 * if the kernel lacked some BTF features. Fields not given are taken from the
 * real probe; `undefined` removes the override.
 */
export function overrideBtfSupport(support: Partial<BtfKernelSupport> | undefined): void {
  override = undefined;
  override = support ? { ...probeBtfSupport(), ...support } : undefined;
}
