// BPF_PROG_TEST_RUN: run a loaded program on given input in the kernel,
// without attaching it. One TestRunner per program reuses its attr buffer
// and output scratch space, so a loop of runs allocates only its results.
import { Attr, addressOf, setU64, stableBytes } from "../sys/attr.js";
import { Cmd, ProgTestRunAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { ENOSPC } from "../sys/errno.js";
import { errorFromErrno, NoSpaceError } from "../sys/errors.js";
import { ProgramType, TestRunFlags } from "./types.js";
import { checkCount, DEFAULT_DATA_OUT_SLACK } from "./test-run-limits.js";

export { DEFAULT_DATA_OUT_SLACK };

/** Input and settings of one BPF_PROG_TEST_RUN. */
export interface TestRunOptions {
  /** Packet data (data_in); skb programs need at least an Ethernet header (14 bytes). */
  data?: Uint8Array;
  /** Buffer receiving the packet after the run; the result's `dataOut` is a view of it (no allocation). */
  dataOut?: Uint8Array;
  /** Capacity of the data-out buffer when tsbpf provides it; 0 = do not copy data out. Default: data length + 4 KiB. */
  dataOutSize?: number;
  /** Context (e.g. struct __sk_buff, struct xdp_md, raw tracepoint args) passed in (Linux 5.2+ for skb). */
  ctx?: Uint8Array;
  /** Buffer receiving the context after the run; the result's `ctxOut` is a view of it. */
  ctxOut?: Uint8Array;
  /**
   * Capacity of the context-out buffer when tsbpf provides it. Default: the ctx
   * length for types whose test run copies the context out (skb, XDP, flow
   * dissector, sk_lookup), else 0 (raw_tracepoint and syscall programs reject
   * ctx_out; syscall programs update `ctx` in place instead).
   */
  ctxOutSize?: number;
  /** Run the program this many times (0, the default, means once; some types such as raw_tracepoint accept only 0); `duration` is the mean. */
  repeat?: number;
  /** {@link TestRunFlags} bits. */
  flags?: number;
  /** Run on this CPU (sets BPF_F_TEST_RUN_ON_CPU; raw_tracepoint programs, Linux 5.10). */
  cpu?: number;
  /** Frames per batch for XDP live-frame mode (Linux 5.18). */
  batchSize?: number;
}

/** Output of one BPF_PROG_TEST_RUN. */
export interface TestRunResult {
  /** The program's return value (R0, as u32). */
  retval: number;
  /** Mean run time per repetition, in nanoseconds. */
  duration: number;
  /** The packet after the run (when data was given and output not disabled). */
  dataOut: Uint8Array | undefined;
  /** The context after the run (when asked for). */
  ctxOut: Uint8Array | undefined;
}

// Types whose BPF_PROG_TEST_RUN copies the context back out (the kernel's
// bpf_ctx_finish callers); the others reject a ctx_out buffer with EINVAL.
const typesWithCtxOut = new Set<number>([
  ProgramType.SocketFilter, ProgramType.SchedCls, ProgramType.SchedAct, ProgramType.CgroupSKB,
  ProgramType.LwtIn, ProgramType.LwtOut, ProgramType.LwtXmit, ProgramType.LwtSeg6Local,
  ProgramType.XDP, ProgramType.FlowDissector, ProgramType.SkLookup,
]);

/**
 * The address of the last buffer seen in one role (data in, data out …), so a
 * loop that passes the same buffer skips the native address lookup. Buffers
 * never move once their address has been taken, and a detached buffer has
 * length 0, which callers check before asking for an address.
 */
class AddressSlot {
  #buffer: Uint8Array | undefined;
  #address = 0;

  of(buffer: Uint8Array): number {
    if (buffer !== this.#buffer) {
      this.#address = addressOf(buffer);
      this.#buffer = buffer;
    }
    return this.#address;
  }
}

// Field offsets of union bpf_attr's test member, read once from the layout.
const F = ProgTestRunAttr.fields;
const OFF = {
  progFd: F.prog_fd.offset, retval: F.retval.offset, dataSizeIn: F.data_size_in.offset, dataSizeOut: F.data_size_out.offset,
  dataIn: F.data_in.offset, dataOut: F.data_out.offset, repeat: F.repeat.offset, duration: F.duration.offset,
  ctxSizeIn: F.ctx_size_in.offset, ctxSizeOut: F.ctx_size_out.offset, ctxIn: F.ctx_in.offset, ctxOut: F.ctx_out.offset,
  flags: F.flags.offset, cpu: F.cpu.offset, batchSize: F.batch_size.offset,
} as const;

/** Runs one program with BPF_PROG_TEST_RUN, reusing its buffers between runs. */
export class TestRunner {
  readonly #attr = new Attr(ProgTestRunAttr);
  readonly #ctxOutByDefault: boolean;
  #dataScratch: Uint8Array = stableBytes(0);
  #ctxScratch: Uint8Array = stableBytes(0);
  readonly #dataIn = new AddressSlot();
  readonly #dataOut = new AddressSlot();
  readonly #ctxIn = new AddressSlot();
  readonly #ctxOut = new AddressSlot();

  /** `type` decides whether the context is copied out by default. */
  constructor(type: ProgramType) {
    this.#ctxOutByDefault = typesWithCtxOut.has(type);
  }

  /** Runs the program behind `progFd` once (or `repeat` times). */
  run(progFd: number, options: TestRunOptions = {}): TestRunResult {
    const attr = this.#attr;
    const v = attr.view;
    const { data, ctx } = options;
    let flags = options.flags ?? 0;
    let cpu = 0;
    if (options.cpu !== undefined) {
      cpu = checkCount(options.cpu, "cpu");
      flags |= TestRunFlags.RUN_ON_CPU;
    }
    const repeat = options.repeat === undefined ? 0 : checkCount(options.repeat, "repeat");
    const batchSize = options.batchSize === undefined ? 0 : checkCount(options.batchSize, "batchSize");

    const dataOutBuf = options.dataOut ?? this.#scratchFor("data", options.dataOutSize ?? (data ? data.byteLength + DEFAULT_DATA_OUT_SLACK : 0));
    const ctxOutBuf = options.ctxOut ?? this.#scratchFor("ctx", options.ctxOutSize ?? (ctx && this.#ctxOutByDefault ? ctx.byteLength : 0));
    const dataInLen = data ? data.byteLength : 0;
    const ctxInLen = ctx ? ctx.byteLength : 0;

    // Plain DataView writes: this runs once per test run, often in tight loops.
    v.setUint32(OFF.progFd, progFd, true);
    v.setUint32(OFF.retval, 0, true);
    v.setUint32(OFF.dataSizeIn, dataInLen, true);
    setU64(v, OFF.dataIn, dataInLen ? this.#dataIn.of(data!) : 0);
    v.setUint32(OFF.dataSizeOut, dataOutBuf.byteLength, true);
    setU64(v, OFF.dataOut, dataOutBuf.byteLength ? this.#dataOut.of(dataOutBuf) : 0);
    v.setUint32(OFF.repeat, repeat, true);
    v.setUint32(OFF.duration, 0, true);
    v.setUint32(OFF.ctxSizeIn, ctxInLen, true);
    setU64(v, OFF.ctxIn, ctxInLen ? this.#ctxIn.of(ctx!) : 0);
    v.setUint32(OFF.ctxSizeOut, ctxOutBuf.byteLength, true);
    setU64(v, OFF.ctxOut, ctxOutBuf.byteLength ? this.#ctxOut.of(ctxOutBuf) : 0);
    v.setUint32(OFF.flags, flags >>> 0, true);
    v.setUint32(OFF.cpu, cpu, true);
    v.setUint32(OFF.batchSize, batchSize, true);

    const r = bpfRaw(Cmd.PROG_TEST_RUN, attr.address, attr.size);
    if (r < 0) {
      if (-r === ENOSPC) {
        // The program ran, but its output did not fit; the kernel reports the sizes it needed.
        throw new NoSpaceError(
          `BPF_PROG_TEST_RUN: ENOSPC: the output needs ${attr.get("data_size_out")} bytes of data out ` +
            `(given ${dataOutBuf.byteLength}) and ${attr.get("ctx_size_out")} bytes of ctx out ` +
            `(given ${ctxOutBuf.byteLength}); pass a larger dataOut/dataOutSize or ctxOut/ctxOutSize`,
          { operation: "BPF_PROG_TEST_RUN", errno: ENOSPC },
        );
      }
      throw errorFromErrno(-r, "BPF_PROG_TEST_RUN");
    }
    return {
      retval: v.getUint32(OFF.retval, true),
      duration: v.getUint32(OFF.duration, true),
      dataOut: dataOutBuf.byteLength ? outputOf(dataOutBuf, v.getUint32(OFF.dataSizeOut, true), options.dataOut !== undefined) : undefined,
      ctxOut: ctxOutBuf.byteLength ? outputOf(ctxOutBuf, v.getUint32(OFF.ctxSizeOut, true), options.ctxOut !== undefined) : undefined,
    };
  }

  /** Scratch output space of exactly `size` bytes; the same view is handed out while the size stays the same. */
  #scratchFor(which: "data" | "ctx", size: number): Uint8Array {
    checkCount(size, which === "data" ? "dataOutSize" : "ctxOutSize");
    if (size === 0) return EMPTY;
    const current = which === "data" ? this.#dataScratch : this.#ctxScratch;
    if (current.byteLength === size) return current;
    // Views share one growing backing store, so its address is looked up again only when the size changes.
    const backing = current.buffer.byteLength >= size ? current.buffer : stableBytes(Math.max(size, current.buffer.byteLength * 2)).buffer;
    const view = new Uint8Array(backing, 0, size);
    if (which === "data") this.#dataScratch = view;
    else this.#ctxScratch = view;
    return view;
  }
}

const EMPTY = new Uint8Array(0);

/** A caller's buffer is returned as a view; tsbpf's scratch space is copied so results stay valid. */
function outputOf(buf: Uint8Array, length: number, callerOwned: boolean): Uint8Array {
  const n = Math.min(length, buf.byteLength);
  return callerOwned ? buf.subarray(0, n) : buf.slice(0, n);
}
