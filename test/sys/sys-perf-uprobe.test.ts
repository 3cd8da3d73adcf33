// A uprobe through the uprobe PMU (perf_event_open with a dynamic type, the
// path in config1 and the file offset in config2), attached with a
// perf_event link: libc's getppid is probed in this very process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ElfFile } from "../../src/elf/index.js";
import { perfEventOpen, pmuType } from "../../src/sys/perf-event.js";
import { linkCreate } from "../../src/sys/link.js";
import { linkInfo, LinkType, PerfEventLinkType } from "../../src/sys/link-info.js";
import { AttachType, ProgramType } from "../../src/program.js";
import { NotSupportedError } from "../../src/index.js";
import { counterMap, countingProgram, load, readCounter } from "./sys-attach-helpers.js";
import { skipFor } from "../util/environment.js";

/** The libc this process runs with, from /proc/self/maps. */
function libcPath(): string | undefined {
  return /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync("/proc/self/maps", "utf8"))?.[1];
}

/** File offset of a function symbol: its address minus its section's address, plus the section's file offset. */
function symbolFileOffset(path: string, name: string): number | undefined {
  const elf = new ElfFile(readFileSync(path));
  const table = elf.section(".dynsym");
  const sym = elf.symbols(table).find((s) => s.name === name && s.type === "func" && s.sectionIndex > 0);
  if (!sym) return undefined;
  const section = elf.sectionAt(sym.sectionIndex);
  return Number(sym.value - section.addr) + section.offset;
}

test("uprobe PMU event on libc getppid, attached with a perf_event link", (t) => {
  let type: number;
  try {
    type = pmuType("uprobe");
  } catch (e) {
    if (e instanceof NotSupportedError) return skipFor(t, "no uprobes", e.message);
    throw e;
  }
  const libc = libcPath();
  if (!libc) return skipFor(t, "no glibc");
  const offset = symbolFileOffset(libc, "getppid");
  if (offset === undefined) return skipFor(t, "no glibc", `${libc} exports no getppid`);

  using map = counterMap();
  using prog = load(ProgramType.Kprobe, countingProgram(map), "tsbpf_uprobe", AttachType.PerfEvent);
  // pid = this process, cpu = -1: the probe fires for our threads on any CPU.
  using ev = perfEventOpen({ type, uprobePath: libc, probeOffset: offset, pid: process.pid, cpu: -1 });
  using link = linkCreate({ progFd: prog.fd, targetFd: ev, attachType: AttachType.PerfEvent, perfEventCookie: 42n });
  // process.ppid calls getppid(2) through libc every time.
  let ppid = 0;
  for (let i = 0; i < 10; i++) ppid = process.ppid;
  assert.ok(ppid > 0);
  assert.ok(readCounter(map) >= 10n, `uprobe hit ${readCounter(map)} times`);

  const info = linkInfo(link);
  assert.equal(info.type, LinkType.PERF_EVENT);
  assert.equal(info.perfEvent?.type, PerfEventLinkType.UPROBE);
  assert.equal(info.perfEvent?.name, libc);
  assert.equal(info.perfEvent?.offset, offset);
  assert.equal(info.perfEvent?.cookie, 42n);
});

test("uprobe_multi link on libc getppid for this process (Linux 6.6)", (t) => {
  const libc = libcPath();
  if (!libc) return skipFor(t, "no glibc");
  const offset = symbolFileOffset(libc, "getppid");
  if (offset === undefined) return skipFor(t, "no glibc", `${libc} exports no getppid`);
  using map = counterMap();
  using prog = load(ProgramType.Kprobe, countingProgram(map), "tsbpf_umulti", AttachType.TraceUprobeMulti);
  let link;
  try {
    link = linkCreate({
      progFd: prog.fd, attachType: AttachType.TraceUprobeMulti,
      uprobeMulti: { path: libc, offsets: [offset], cookies: [7n], pid: process.pid },
    });
  } catch (e) {
    if (e instanceof NotSupportedError) return skipFor(t, "kernel older than", { linux: "6.6", feature: "uprobe_multi links", detail: e.message });
    throw e;
  }
  try {
    for (let i = 0; i < 10; i++) void process.ppid;
    assert.ok(readCounter(map) >= 10n, `uprobe_multi hit ${readCounter(map)} times`);
    const info = linkInfo(link);
    assert.equal(info.type, LinkType.UPROBE_MULTI);
    assert.equal(info.uprobeMulti?.path, libc);
    assert.equal(info.uprobeMulti?.count, 1);
    assert.equal(info.uprobeMulti?.pid, process.pid);
  } finally {
    link.close();
  }
});
