// The one primitive every program-based probe uses: try BPF_PROG_LOAD with a
// tiny program and report the errno and (optionally) the verifier log. A
// single attr and log buffer are reused, so probing thousands of helpers
// allocates almost nothing.
import { release } from "node:os";
import { Attr, stableBytes } from "../sys/attr.js";
import { Cmd, ProgLoadAttr } from "../sys/layouts.js";
import { bpfRaw, closeRaw } from "../sys/syscall.js";
import { readCString } from "../sys/cstring.js";

/** What to load. */
export interface ProbeProgram {
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** Encoded instructions (a stable buffer, see encodeProbe). */
  readonly insns: Uint8Array;
  readonly expectedAttachType?: number;
  readonly attachBtfId?: number;
  readonly progFlags?: number;
  /** Ask the verifier for a log (level 1) so callers can grep it. */
  readonly withLog?: boolean;
  /** Leave the loaded program open (its fd in the result) for probes that go on to attach it; the caller closes it. */
  readonly keepOpen?: boolean;
}

/** Outcome of one probe load; the program itself is closed at once. */
export interface ProbeLoadResult {
  /** The kernel accepted the program. */
  readonly loaded: boolean;
  /** 0 on success, else the positive errno. */
  readonly errno: number;
  /** The verifier log (empty unless `withLog`). */
  readonly log: string;
  /** log_true_size as the kernel reported it (0 before Linux 6.4). */
  readonly logTrueSize: number;
  /** The program's raw fd, only with `keepOpen` and when it loaded. */
  readonly fd?: number;
}

const LOG_SIZE = 64 * 1024;
const attr = new Attr(ProgLoadAttr);
const logBuf = stableBytes(LOG_SIZE);
const license = stableBytes(4);
license.set([0x47, 0x50, 0x4c, 0]); // "GPL": many helpers are GPL-only

let cachedVersionCode: number | undefined;

/**
 * LINUX_VERSION_CODE of the running kernel from uname. Kernels before 5.0
 * refuse kprobe programs whose kern_version does not match.
 */
export function linuxVersionCode(): number {
  if (cachedVersionCode === undefined) {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
    cachedVersionCode = m ? (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255) : 0;
  }
  return cachedVersionCode;
}

/** Loads `p`, closes the program if it loaded (unless `keepOpen`), and reports what happened. */
export function probeLoad(p: ProbeProgram): ProbeLoadResult {
  attr.zero();
  attr
    .set("prog_type", p.type)
    .set("insn_cnt", p.insns.byteLength / 8)
    .setPointer("insns", p.insns)
    .setPointer("license", license)
    .set("kern_version", linuxVersionCode())
    .set("expected_attach_type", p.expectedAttachType ?? 0)
    .set("attach_btf_id", p.attachBtfId ?? 0)
    .set("prog_flags", p.progFlags ?? 0);
  if (p.withLog) {
    logBuf[0] = 0;
    attr.set("log_level", 1).set("log_size", LOG_SIZE).setPointer("log_buf", logBuf);
  }
  const r = bpfRaw(Cmd.PROG_LOAD, attr.address, attr.size);
  if (r >= 0 && !p.keepOpen) closeRaw(r);
  let log = "";
  if (p.withLog) {
    log = readCString(logBuf, 0, LOG_SIZE);
  }
  return {
    loaded: r >= 0, errno: r < 0 ? -r : 0, log, logTrueSize: attr.get("log_true_size"), ...(r >= 0 && p.keepOpen ? { fd: r } : {}),
  };
}
