// Oracle: for real programs compiled by someone else (the BPF objects
// embedded in Debian's libbpf-tools) loaded by bpftool itself, our
// disassembly of the kernel's xlated instructions must equal
// `bpftool prog dump xlated` byte for byte — plain, `opcodes` and `linum`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dumpLoadedProgram, dumpLoadedProgramJson } from "../../src/program/xlated-dump.js";
import {
  Kallsyms, ProgramBuilder, R0, R1, R2, R3, R4, R6, R10, type DisasmDialect,
} from "../../src/asm/index.js";
import { openPinnedFd, pinFd } from "../../src/sys/objects.js";
import { bpffsTempDir } from "../util/kernel.js";
import { haveLibbpfTool, writeToolObject } from "../util/libbpf-tools.js";
import { loadSocketFilter } from "../util/raw-prog-load.js";
import { createArrayMap } from "../program/program-util.js";
import { missingOracle, requireOracle, skipFor } from "../util/environment.js";

/**
 * Tools whose programs (tracepoint, tp_btf, fentry, kprobe, uprobe, usdt) load
 * on a 6.x kernel; loading does not attach, so kprobe programs load too. The
 * default set covers subprogram calls, global data, atomics, alu32, endian
 * swaps and the largest programs; TSBPF_XLATED_ALL_TOOLS=1 adds the rest.
 */
const DEFAULT_TOOLS = [
  "opensnoop", "execsnoop", "syscount", "runqlat", "mountsnoop", "biolatency", "tcpconnect", "filetop",
  "tcptracer", "ksnoop", "bashreadline",
];
const MORE_TOOLS = [
  "statsnoop", "runqslower", "hardirqs", "exitsnoop", "filelife", "sigsnoop", "oomkill", "tcplife", "drsnoop",
  "softirqs", "gethostlatency", "tcpstates", "funclatency", "bitesize", "biopattern", "javagc", "slabratetop",
  "llcstat",
];
const TOOLS = process.env.TSBPF_XLATED_ALL_TOOLS ? [...DEFAULT_TOOLS, ...MORE_TOOLS] : DEFAULT_TOOLS;
const TEXT_VARIANTS = [[], ["opcodes"], ["linum"]] as const;
/** `-j` output (checked on each tool's first program, to bound run time): between them every field bpftool emits. */
const JSON_VARIANTS = [["opcodes"], ["linum"]] as const;

/** bpftool before 7.3 (Linux 6.6 tools) carries the pre-cpu-v4 disassembler. */
function bpftoolDialect(): DisasmDialect {
  const out = execFileSync("bpftool", ["version"], { encoding: "utf8" });
  const m = /v(\d+)\.(\d+)/.exec(out);
  if (!m) return "modern";
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 7 || (major === 7 && minor < 3) ? "legacy" : "modern";
}

const execFileAsync = promisify(execFile);

/** Runs bpftool; most of each run is the kernel generating /proc/kallsyms, so runs overlap well. */
async function bpftool(args: string[]): Promise<string> {
  return (await execFileAsync("bpftool", args, { encoding: "utf8", maxBuffer: 1 << 26 })).stdout;
}

/**
 * bpftool's json_writer escapes a backslash as "\\n" (so a C source line
 * `'\\0'` comes back as a newline and "0"); apply the same to our strings.
 */
function asBpftoolJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === "string" ? v.replaceAll("\\", "\n") : v));
}

function firstDifference(want: string, got: string): string {
  const a = want.split("\n");
  const b = got.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  bpftool: ${a[i]}\n  tsbpf:   ${b[i]}`;
  }
  return "";
}

test("xlated dumps of libbpf-tools programs equal bpftool's, byte for byte", async (t) => {
  if (process.getuid?.() !== 0) return skipFor(t, "not root");
  if (!requireOracle(t, "bpftool")) return;
  const available = TOOLS.filter(haveLibbpfTool);
  if (available.length === 0) return missingOracle(t, "libbpf-tools");
  const dialect = bpftoolDialect();
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-xlated-"));
  let programs = 0;
  let dumps = 0;
  let jsonDumps = 0;
  const notLoaded: string[] = [];
  try {
    for (const tool of available) {
      await t.test(tool, async (st) => {
        const obj = writeToolObject(tool, objDir);
        if (!obj) return missingOracle(st, "libbpf-tools", `${tool} has no embedded BPF object`);
        const pins = bpffsTempDir(`tsbpf-xlated-${tool}-`);
        try {
          try {
            execFileSync("bpftool", ["prog", "loadall", obj, pins.path], { stdio: "pipe" });
          } catch (e) {
            notLoaded.push(tool);
            const log = String((e as { stderr?: unknown }).stderr ?? "").trim().split("\n").slice(-1)[0];
            return missingOracle(st, "bpftool", `it could not load ${tool} on this kernel: ${log}`);
          }
          // bpftool rereads kallsyms on every run; read it after loading, when these programs' JIT symbols exist.
          const kallsyms = new Kallsyms();
          const checks: Promise<void>[] = [];
          for (const [n, pin] of readdirSync(pins.path).entries()) {
            const pinPath = path.join(pins.path, pin);
            const fd = openPinnedFd(pinPath, "rw", "program");
            try {
              for (const variant of TEXT_VARIANTS) {
                const got = dumpLoadedProgram(fd, {
                  kallsyms, dialect, opcodes: variant[0] === "opcodes", linum: variant[0] === "linum",
                });
                checks.push(bpftool(["prog", "dump", "xlated", "pinned", pinPath, ...variant]).then((want) => {
                  assert.ok(got === want, `${tool}/${pin} ${variant.join(" ") || "plain"} differs at ${firstDifference(want, got)}`);
                  dumps++;
                }));
              }
              for (const variant of n === 0 ? JSON_VARIANTS : []) {
                const got = dumpLoadedProgramJson(fd, {
                  kallsyms, dialect, opcodes: variant[0] === "opcodes", linum: variant[0] === "linum",
                });
                checks.push(bpftool(["-j", "prog", "dump", "xlated", "pinned", pinPath, ...variant]).then((want) => {
                  assert.deepStrictEqual(asBpftoolJson(got), JSON.parse(want), `${tool}/${pin} -j ${variant.join(" ")}`);
                  jsonDumps++;
                }));
              }
            } finally {
              fd.close();
            }
            programs++;
          }
          await Promise.all(checks);
        } finally {
          pins.cleanup();
        }
      });
    }
  } finally {
    rmSync(objDir, { recursive: true, force: true });
  }
  t.diagnostic(`${programs} programs from ${available.length - notLoaded.length} tools: ${dumps} text and ${jsonDumps} JSON dumps equal to bpftool's (${dialect} dialect)`);
  if (notLoaded.length) t.diagnostic(`not loadable here: ${notLoaded.join(", ")}`);
  assert.ok(programs >= 10, `only ${programs} programs could be compared`);
});

test("xlated dump of a ProgramBuilder program equals bpftool's (maps, helpers, atomics, subprograms)", async (t) => {
  if (process.getuid?.() !== 0) return skipFor(t, "not root");
  if (!requireOracle(t, "bpftool")) return;
  const dialect = bpftoolDialect();
  const pins = bpffsTempDir("tsbpf-xlated-builder-");
  const map = createArrayMap(16, 1);
  try {
    const prog = new ProgramBuilder()
      .mov64Reg(R6, R1)
      .ldMapFd(R1, map).stW(R10, -4, 0).mov64Reg(R2, R10).add64Imm(R2, -4)
      .call("bpf_map_lookup_elem")
      .jeqImm(R0, 0, "out")
      .mov64Imm(R1, 1).atomicAdd64(R0, R1, 0).atomicAdd64(R0, R1, 8, { fetch: true })
      .ldMapValue(R3, map, 8).ldxDW(R4, R3, 0)
      .jgt32Imm(R4, 7, "out")
      .call("bpf_get_prandom_u32").mov64Reg(R1, R0)
      .callSubprog("double")
      .label("out").mov64Imm(R0, 0).exit()
      .label("double").mov64Reg(R0, R1).lsh64Imm(R0, 1).exit();
    const fd = loadSocketFilter(prog.build());
    try {
      const pinPath = path.join(pins.path, "built");
      pinFd(fd, pinPath);
      const kallsyms = new Kallsyms();
      for (const variant of TEXT_VARIANTS) {
        const want = await bpftool(["prog", "dump", "xlated", "pinned", pinPath, ...variant]);
        const got = dumpLoadedProgram(fd, { kallsyms, dialect, opcodes: variant[0] === "opcodes", linum: variant[0] === "linum" });
        assert.ok(got === want, `${variant.join(" ") || "plain"} differs at ${firstDifference(want, got)}`);
      }
      assert.match(dumpLoadedProgram(fd, { kallsyms, dialect }), /map\[id:\d+\]\[0\]\+8/);
    } finally {
      fd.close();
    }
  } finally {
    map.close();
    pins.cleanup();
  }
});
