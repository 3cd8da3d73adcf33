// The root entry is the everyday API; internals live behind their layer's
// entry. Guards the split so a raw-kernel or pure-layer name cannot drift back
// into `tsbpf` unnoticed (add one deliberately by editing src/index.ts and this list).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as root from "../../src/index.js";
import * as sys from "../../src/sys/index.js";
import * as btf from "../../src/btf/index.js";
import * as elf from "../../src/elf/index.js";
import * as object from "../../src/object/index.js";
import * as core from "../../src/core/index.js";
import * as gen from "../../src/gen/index.js";
import * as vm from "../../src/vm/index.js";

const everyday = [
  "BpfMap", "MapType", "Program", "ProgramType", "ObjectSpec", "loadObjectSpec", "Collection", "Variable", "Link",
  "attachTracepoint", "attachUprobe", "LinkGroup", "RingBuffer", "RingBufferReader", "PerfBuffer", "probeAll",
  // events
  "readTracePipe", "parseTraceLine",
  // typed data
  "TypedMap", "TypedRingBuffer", "TypedPerfBuffer",
  // network devices
  "attachXdp", "attachTcx", "attachTc", "attachNetkit",
  // uprobe.multi and USDT
  "attachUprobeMulti", "attachUsdt", "UsdtArgumentError",
  // tracing
  "attachKprobe", "attachKprobeMulti", "attachKsyscall", "attachRawTracepoint", "attachTracing", "attachIter", "IterLink", "attachPerfEvent",
  "ProgramBuilder", "R0", "asm", "FD", "Btf", "BpfError", "PinExistsError", "KeyExistsError", "VerifierError",
  "ElfError", "BtfError", "ObjectError", "CoreRelocationError",
  "attachCgroup", "cgroupOfSection", "cgroupAttachments",
  "attachSocketFilter", "attachReuseport",
  "attachNetns", "netnsOfSection", "attachNetfilter", "netfilterOfSection",
  "attachSockmap", "sockmapOfSection",
  // typed data (BTF codec)
  "BtfCodec",
];

const elsewhere: Array<[string, Record<string, unknown>]> = [
  ["Attr", sys], ["defineLayout", sys], ["addressOf", sys], ["stableBytes", sys], ["errorFromErrno", sys],
  ["perfEventOpen", sys], ["pinFd", sys], ["onlineCpus", sys], ["linkCreate", sys], ["progAttach", sys],
  ["rawTracepointOpen", sys], ["iterCreate", sys], ["NetlinkSocket", sys], ["addBpfFilter", sys], ["setXdpFd", sys],
  ["dumpC", btf], ["encodeBtf", btf], ["kernelBtf", btf], ["parseBtfExt", btf],
  ["ElfFile", elf], ["SHT", elf], ["EM_BPF", elf],
  ["sectionType", object], ["internalMapName", object],
  ["CoreRelocator", core], ["typesMatch", core],
  ["createVmMap", vm], ["VmMap", vm], ["VmMapRegistry", vm], ["RingBufferVmMap", vm],
  ["kernelHelpers", vm], ["VmKernel", vm], ["VmHelperArgumentError", vm], ["VmPacket", vm],
  ["generateSkeleton", gen], ["buildObject", gen], ["ToolchainError", gen], ["CompileError", gen], ["minimizeCoreBtf", gen],
];

test("the root exports the everyday API", () => {
  const missing = everyday.filter((name) => !(name in root));
  assert.deepEqual(missing, []);
});

test("internals are exported by their layer's entry, not by the root", () => {
  for (const [name, layer] of elsewhere) {
    assert.ok(name in layer, `${name} is in its layer's index`);
    assert.ok(!(name in root), `${name} is not in the root`);
  }
  for (const name of ["sanitizeBtf", "planStructOps", "probeBtfSupport"]) assert.ok(!(name in root), `${name} is not public`);
});

test("the BTF codec is in the root and in tsbpf/btf", () => {
  assert.equal(root.BtfCodec, btf.BtfCodec);
});

test("Map is only a deprecated alias of BpfMap", () => {
  assert.equal(root.Map, root.BpfMap);
  assert.equal(root.BpfMap.name, "BpfMap");
});
