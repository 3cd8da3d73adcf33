// BPF_PROG_LOAD with bare attrs (independent of src/program/): the asm tests
// use the kernel as the oracle of what the builder and disassembler produce.
import { Attr, stableBytes } from "../../src/sys/attr.js";
import { Cmd, ProgLoadAttr } from "../../src/sys/layouts.js";
import { bpfRaw } from "../../src/sys/syscall.js";
import { FD } from "../../src/sys/fd.js";

const BPF_PROG_TYPE_SOCKET_FILTER = 1;

/** The raw result of a load: a program fd (the caller closes it) or -errno, and the verifier log. */
export interface RawLoad {
  readonly fd: number;
  readonly log: string;
}

/** Loads `bytes` as a GPL socket filter, asking for a verifier log of `logSize` bytes at `logLevel`. */
export function rawLoadSocketFilter(bytes: Uint8Array, logLevel: number, logSize: number): RawLoad {
  const insns = stableBytes(bytes.length);
  insns.set(bytes);
  const license = stableBytes(4);
  license.set([0x47, 0x50, 0x4c, 0]); // "GPL"
  const log = stableBytes(logSize);
  const attr = new Attr(ProgLoadAttr);
  attr.set("prog_type", BPF_PROG_TYPE_SOCKET_FILTER).set("insn_cnt", bytes.length / 8).setPointer("insns", insns)
    .setPointer("license", license).set("log_level", logLevel).set("log_size", log.length).setPointer("log_buf", log);
  const fd = bpfRaw(Cmd.PROG_LOAD, attr.address, attr.size);
  return { fd, log: new TextDecoder().decode(log.subarray(0, log.indexOf(0))) };
}

/** Loads `bytes` as a socket filter; a refused load throws with the verifier log. */
export function loadSocketFilter(bytes: Uint8Array): FD {
  const { fd, log } = rawLoadSocketFilter(bytes, 1, 1 << 16);
  if (fd < 0) throw new Error(`BPF_PROG_LOAD failed (errno ${-fd}):\n${log}`);
  return new FD(fd, "prog fd");
}
