// Miscellaneous kernel capabilities: the bpf(2) syscall itself, verifier
// features (large programs, bounded loops, ISA extensions) and newer
// interface details other layers choose code paths by. Each is probed once.
import { Attr, stableBytes } from "../sys/attr.js";
import { Cmd, MapBatchAttr, MapCreateAttr, ProgLoadAttr } from "../sys/layouts.js";
import { bpfRaw, closeRaw } from "../sys/syscall.js";
import { ENOENT, ENOSYS } from "../sys/errno.js";
import { encodeProbe, Op, RETURN_ZERO, type RawInsn } from "./probe-insns.js";
import { probeLoad } from "./probe-load.js";
import { haveMapType } from "./map-types.js";
import { haveHelper } from "./helpers.js";
import { haveProgramType } from "./program-types.js";
import { SUPPORTED, unsupported, type ProbeResult } from "./result.js";
import { vmlinuxFuncId } from "./vmlinux-func.js";
import { AttachType, ProgramType } from "../program/types.js";
import { helperId } from "../asm/helpers.js";

const { SocketFilter: SOCKET_FILTER, SchedCls: SCHED_CLS, Kprobe: KPROBE, Tracepoint: TRACEPOINT, Tracing: TRACING } = ProgramType;
const TRACE_FENTRY = AttachType.TraceFentry;
const BPF_MAXINSNS = 4096;
const HELPER_GET_ATTACH_COOKIE = helperId("bpf_get_attach_cookie");

function loads(type: number, insns: readonly RawInsn[]): ProbeResult {
  const r = probeLoad({ type, insns: encodeProbe(insns) });
  return r.loaded ? SUPPORTED : unsupported(r.errno);
}

/** Names of the misc probes; the first four are bpftool's `misc` section. */
export type MiscFeature =
  | "have_large_insn_limit"
  | "have_bounded_loops"
  | "have_v2_isa_extension"
  | "have_v3_isa_extension"
  | "have_v4_isa_extension"
  | "have_bpf_cookie"
  | "have_ringbuf"
  | "have_batch_ops"
  | "have_log_true_size"
  | "have_mmapable_maps"
  | "have_fentry";

const probes: Record<MiscFeature, () => ProbeResult> = {
  // More than 4096 instructions: Linux 5.2 raised the limit for privileged users.
  have_large_insn_limit: () => {
    const insns: RawInsn[] = Array.from({ length: BPF_MAXINSNS }, () => ({ op: Op.MOV64_IMM, imm: 1 }));
    insns.push({ op: Op.EXIT });
    return loads(SCHED_CLS, insns);
  },
  // A loop the verifier must prove bounded: Linux 5.3.
  have_bounded_loops: () =>
    loads(SOCKET_FILTER, [
      { op: Op.MOV64_IMM, imm: 10 },
      { op: Op.SUB64_IMM, imm: 1 },
      { op: Op.JNE_IMM, off: -2, imm: 0 },
      { op: Op.EXIT },
    ]),
  // v2: jlt/jle/jslt/jsle (Linux 4.14).
  have_v2_isa_extension: () =>
    loads(SOCKET_FILTER, [{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.JLT_IMM, off: 1, imm: 0 }, { op: Op.MOV64_IMM, imm: 1 }, { op: Op.EXIT }]),
  // v3: 32-bit jumps (Linux 5.1).
  have_v3_isa_extension: () =>
    loads(SOCKET_FILTER, [{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.JMP32_JLT_IMM, off: 1, imm: 0 }, { op: Op.MOV64_IMM, imm: 1 }, { op: Op.EXIT }]),
  // v4: sign extension, bswap, sdiv/smod, gotol (Linux 6.6); probed with movsx.
  have_v4_isa_extension: () =>
    loads(SOCKET_FILTER, [{ op: Op.MOV64_IMM, imm: 0 }, { op: Op.MOV64_REG, dst: 0, src: 0, off: 8 }, { op: Op.EXIT }]),
  // bpf_get_attach_cookie (Linux 5.15).
  have_bpf_cookie: () => {
    for (const t of [KPROBE, TRACEPOINT]) {
      if (haveProgramType(t)) return haveHelper(t, HELPER_GET_ATTACH_COOKIE) ? SUPPORTED : unsupported(0, "bpf_get_attach_cookie is unknown");
    }
    return unsupported(0, "no tracing program type to probe with");
  },
  // BPF ring buffer maps (Linux 5.8).
  have_ringbuf: () => (haveMapType("ringbuf") ? SUPPORTED : unsupported(0, "ringbuf maps are unavailable")),
  // BPF_MAP_*_BATCH (Linux 5.6): an empty hash map answers ENOENT when the command exists.
  have_batch_ops: () => {
    const create = new Attr(MapCreateAttr);
    create.set("map_type", 1).set("key_size", 4).set("value_size", 4).set("max_entries", 1);
    const fd = bpfRaw(Cmd.MAP_CREATE, create.address, create.size);
    if (fd < 0) return unsupported(-fd, "could not create a hash map");
    try {
      const keys = stableBytes(4);
      const values = stableBytes(4);
      const out = stableBytes(4);
      const batch = new Attr(MapBatchAttr);
      batch.setPointer("out_batch", out).setPointer("keys", keys).setPointer("values", values).set("count", 1).set("map_fd", fd);
      const r = bpfRaw(Cmd.MAP_LOOKUP_BATCH, batch.address, batch.size);
      return r >= 0 || -r === ENOENT ? SUPPORTED : unsupported(-r);
    } finally {
      closeRaw(fd);
    }
  },
  // log_true_size in BPF_PROG_LOAD (Linux 6.4): the kernel reports the full log length.
  have_log_true_size: () => {
    const r = probeLoad({ type: SOCKET_FILTER, insns: encodeProbe(RETURN_ZERO), withLog: true });
    return r.logTrueSize > 0 ? SUPPORTED : unsupported(0, "the kernel does not report log_true_size");
  },
  // BPF_F_MMAPABLE array maps (Linux 5.5).
  have_mmapable_maps: () => {
    const create = new Attr(MapCreateAttr);
    create.set("map_type", 2).set("key_size", 4).set("value_size", 4).set("max_entries", 1).set("map_flags", 1 << 10);
    const fd = bpfRaw(Cmd.MAP_CREATE, create.address, create.size);
    if (fd < 0) return unsupported(-fd);
    closeRaw(fd);
    return SUPPORTED;
  },
  // fentry/fexit trampolines (Linux 5.5): load an fentry program on a real
  // kernel function. Kernels can know the tracing type (tp_btf) and still
  // refuse trampolines, e.g. without CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS.
  have_fentry: () => {
    const target = vmlinuxFuncId("bpf_fentry_test1") ?? vmlinuxFuncId("do_unlinkat");
    if (target === undefined) return unsupported(0, "no kernel BTF, or no function to attach to");
    const r = probeLoad({ type: TRACING, insns: encodeProbe(RETURN_ZERO), expectedAttachType: TRACE_FENTRY, attachBtfId: target });
    return r.loaded ? SUPPORTED : unsupported(r.errno, r.errno === 1 ? "the kernel refused to load an fentry program" : "");
  },
};

/** Every misc feature name, in report order. */
export const MISC_FEATURES = Object.keys(probes) as MiscFeature[];

const cache = new Map<MiscFeature, ProbeResult>();

/** Probes one misc feature (cached per process). */
export function probeMisc(feature: MiscFeature): ProbeResult {
  let r = cache.get(feature);
  if (!r) {
    r = probes[feature]();
    cache.set(feature, r);
  }
  return r;
}

let syscallResult: ProbeResult | undefined;

/** Whether bpf(2) exists at all (ENOSYS means CONFIG_BPF_SYSCALL is off). */
export function probeBpfSyscall(): ProbeResult {
  if (!syscallResult) {
    // An all-zero PROG_LOAD is invalid on every kernel that has bpf(2).
    const attr = new Attr(ProgLoadAttr);
    const r = bpfRaw(Cmd.PROG_LOAD, attr.address, attr.size);
    if (r >= 0) closeRaw(r);
    syscallResult = -r === ENOSYS ? unsupported(ENOSYS, "the kernel was built without CONFIG_BPF_SYSCALL") : SUPPORTED;
  }
  return syscallResult;
}
