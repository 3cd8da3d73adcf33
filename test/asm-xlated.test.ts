// Oracle: for real programs compiled by someone else (the BPF objects
// embedded in Debian's libbpf-tools) loaded by bpftool itself, our
// disassembly of the kernel's xlated instructions must equal
// `bpftool prog dump xlated` byte for byte — plain, `opcodes` and `linum`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dumpXlated, BtfLite, Kallsyms, xlatedCallSymbolizer, type DisasmDialect } from "../src/asm/index.js";
import { openPinnedFd } from "../src/sys/objects.js";
import { readBtfById, readProgramDumpInfo } from "../src/sys/prog-info.js";
import { bpffsTempDir, haveBpftool } from "./util/kernel.js";
import { haveLibbpfTool, writeToolObject } from "./util/libbpf-tools.js";

/**
 * Tools whose programs (tracepoint, tp_btf, fentry, kprobe, uprobe, usdt) load
 * on a 6.x kernel; loading does not attach, so kprobe programs load too. The
 * default set covers subprogram calls, global data, atomics, alu32, endian
 * swaps and the largest programs; TSBPF_XLATED_ALL_TOOLS=1 adds the rest.
 */
const DEFAULT_TOOLS = [
  "opensnoop", "execsnoop", "statsnoop", "syscount", "runqlat", "runqslower", "mountsnoop", "biolatency",
  "tcpconnect", "hardirqs", "filetop", "tcptracer", "ksnoop", "bashreadline",
];
const MORE_TOOLS = [
  "exitsnoop", "filelife", "sigsnoop", "oomkill", "tcplife", "drsnoop", "softirqs", "gethostlatency",
  "tcpstates", "funclatency", "bitesize", "biopattern", "javagc", "slabratetop", "llcstat",
];
const TOOLS = process.env.TSBPF_XLATED_ALL_TOOLS ? [...DEFAULT_TOOLS, ...MORE_TOOLS] : DEFAULT_TOOLS;
const VARIANTS = [[], ["opcodes"], ["linum"]] as const;

/** bpftool before 7.3 (Linux 6.6 tools) carries the pre-cpu-v4 disassembler. */
function bpftoolDialect(): DisasmDialect {
  const out = execFileSync("bpftool", ["version"], { encoding: "utf8" });
  const m = /v(\d+)\.(\d+)/.exec(out);
  if (!m) return "modern";
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 7 || (major === 7 && minor < 3) ? "legacy" : "modern";
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
  if (process.getuid?.() !== 0) return t.skip("needs root to load programs");
  if (!haveBpftool()) return t.skip("bpftool is not installed");
  const available = TOOLS.filter(haveLibbpfTool);
  if (available.length === 0) return t.skip("Debian's libbpf-tools package is not installed");
  const dialect = bpftoolDialect();
  const objDir = mkdtempSync(path.join(tmpdir(), "tsbpf-xlated-"));
  let programs = 0;
  let dumps = 0;
  const notLoaded: string[] = [];
  try {
    for (const tool of available) {
      await t.test(tool, (st) => {
        const obj = writeToolObject(tool, objDir);
        if (!obj) return st.skip(`${tool} has no embedded BPF object`);
        const pins = bpffsTempDir(`tsbpf-xlated-${tool}-`);
        try {
          try {
            execFileSync("bpftool", ["prog", "loadall", obj, pins.path], { stdio: "pipe" });
          } catch (e) {
            notLoaded.push(tool);
            const log = String((e as { stderr?: unknown }).stderr ?? "").trim().split("\n").slice(-1)[0];
            return st.skip(`bpftool could not load ${tool} on this kernel: ${log}`);
          }
          // bpftool rereads kallsyms on every run; read it after loading, when these programs' JIT symbols exist.
          const kallsyms = new Kallsyms();
          for (const pin of readdirSync(pins.path)) {
            const pinPath = path.join(pins.path, pin);
            const fd = openPinnedFd(pinPath, "rw", "program");
            let info;
            try {
              info = readProgramDumpInfo(fd);
            } finally {
              fd.close();
            }
            const btf = info.btfId ? new BtfLite(readBtfById(info.btfId)) : undefined;
            const symbolizer = xlatedCallSymbolizer({ kallsyms, jitedKsyms: info.jitedKsyms });
            for (const variant of VARIANTS) {
              const want = execFileSync("bpftool", ["prog", "dump", "xlated", "pinned", pinPath, ...variant], {
                encoding: "utf8",
                maxBuffer: 1 << 26,
              });
              const got = dumpXlated(info.xlated, {
                btf, funcInfo: info.funcInfo, lineInfo: info.lineInfo, symbolizer, dialect,
                opcodes: variant[0] === "opcodes", linum: variant[0] === "linum",
              });
              assert.ok(got === want, `${tool}/${pin} ${variant.join(" ") || "plain"} differs at ${firstDifference(want, got)}`);
              dumps++;
            }
            programs++;
          }
        } finally {
          pins.cleanup();
        }
      });
    }
  } finally {
    rmSync(objDir, { recursive: true, force: true });
  }
  t.diagnostic(`${programs} programs from ${available.length - notLoaded.length} tools: ${dumps} dumps equal to bpftool's (${dialect} dialect)`);
  if (notLoaded.length) t.diagnostic(`not loadable here: ${notLoaded.join(", ")}`);
  assert.ok(programs >= 10, `only ${programs} programs could be compared`);
});
