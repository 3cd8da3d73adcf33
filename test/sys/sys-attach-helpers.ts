// Helpers shared by the sys-attach/link/perf tests: counting programs built
// with the ProgramBuilder, u64 counters in array maps, and child processes.
import { spawnSync } from "node:child_process";
import { BpfMap, MapType } from "../../src/map.js";
import { Program, ProgramType, type AttachType } from "../../src/program.js";
import { ProgramBuilder, R0, R1, R2, R6, R7, R10 } from "../../src/asm/index.js";

/** An array map of `entries` u64 counters. */
export function counterMap(entries = 1, name = "tsbpf_cnt"): BpfMap {
  return BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: entries, name });
}

/** The u64 counter at `index`. */
export function readCounter(map: BpfMap, index = 0): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, index, true);
  const v = map.lookup(key);
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

/**
 * Instructions that add `delta` to counter `index` of `map`, then return
 * `retval`. With `onlyPid`, only events of that process (tgid) count.
 */
export function countingProgram(map: BpfMap, options: { index?: number; delta?: number; retval?: number; onlyPid?: number } = {}): Uint8Array {
  const b = new ProgramBuilder();
  if (options.onlyPid !== undefined) {
    b.call("get_current_pid_tgid").rsh64Imm(R0, 32).jneImm(R0, options.onlyPid, "out");
  }
  b.stW(R10, -4, options.index ?? 0)
    .mov64Reg(R2, R10).add64Imm(R2, -4)
    .ldMapFd(R1, map.fd)
    .call("map_lookup_elem")
    .jeqImm(R0, 0, "out")
    .mov64Imm(R1, options.delta ?? 1)
    .atomicAdd64(R0, R1, 0)
    .label("out")
    .mov64Imm(R0, options.retval ?? 0)
    .exit();
  return b.build();
}

/**
 * Instructions that store bpf_get_attach_cookie(ctx) into counter `index`
 * (Linux 5.15 for perf_event programs).
 */
export function cookieProgram(map: BpfMap, index = 1): Uint8Array {
  return new ProgramBuilder()
    .mov64Reg(R6, R1)
    .stW(R10, -4, index)
    .mov64Reg(R2, R10).add64Imm(R2, -4)
    .ldMapFd(R1, map.fd)
    .call("map_lookup_elem")
    .jeqImm(R0, 0, "out")
    .mov64Reg(R7, R0) // callee-saved: survives the next helper call (R1-R5 do not)
    .mov64Reg(R1, R6)
    .call("get_attach_cookie")
    .stxDW(R7, R0, 0)
    .label("out")
    .mov64Imm(R0, 0)
    .exit()
    .build();
}

/** Loads a program; a short wrapper to keep tests readable. */
export function load(type: ProgramType, instructions: Uint8Array, name: string, expectedAttachType?: AttachType): Program {
  return Program.load({ type, instructions, license: "GPL", name, expectedAttachType });
}

/** Runs a short child process that calls getpid() a few times; returns its pid. */
export function runChild(script = "for (let i = 0; i < 5; i++) process.pid; require('node:fs').readFileSync('/proc/self/stat');"): number {
  const r = spawnSync(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`child failed with status ${r.status}`);
  return r.pid ?? 0;
}

/** Runs a command, throwing with its stderr when it fails. */
export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export { ProgramType, R0 };
