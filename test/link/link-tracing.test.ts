// fentry, fexit, fmod_ret, lsm and lsm_cgroup. This machine's kernel refuses
// BPF trampolines with EPERM before verification, so the load of each fixture
// program is expected to fail with the loader's explanation (asserted word
// for word); where a kernel permits trampolines the same test attaches each
// program and checks that it counted this process's opens. SEC() parsing and
// the attach function's argument checks run everywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Collection, loadObjectSpec } from "../../src/index.js";
import { InvalidArgumentError, PermissionError } from "../../src/sys/errors.js";
import { attachTracing, tracingOfSection } from "../../src/link/index.js";
import { readCounter } from "../sys/sys-attach-helpers.js";
import { bpftoolLinksOf } from "../util/attached.js";
import { requireOracle, skipFor } from "../util/environment.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/tracing/trampolines.bpf.o", import.meta.url));
const RAW_TP = fileURLToPath(new URL("../../../test/fixtures/tracing/raw-tp.bpf.o", import.meta.url));

test("SEC() names: fentry/fexit/fmod_ret[.s]/FUNC, lsm[.s]/HOOK, lsm_cgroup/HOOK, freplace/FUNC", () => {
  assert.deepEqual(tracingOfSection("fentry/do_sys_openat2"), { kind: "fentry", target: "do_sys_openat2", sleepable: false });
  assert.deepEqual(tracingOfSection("fexit.s/vfs_read"), { kind: "fexit", target: "vfs_read", sleepable: true });
  assert.deepEqual(tracingOfSection("fmod_ret/security_file_open"), { kind: "fmod_ret", target: "security_file_open", sleepable: false });
  assert.deepEqual(tracingOfSection("lsm.s/bprm_committed_creds"), { kind: "lsm", target: "bprm_committed_creds", sleepable: true });
  assert.deepEqual(tracingOfSection("lsm_cgroup/socket_create"), { kind: "lsm_cgroup", target: "socket_create", sleepable: false });
  assert.deepEqual(tracingOfSection("freplace/handle_packet"), { kind: "freplace", target: "handle_packet", sleepable: false });
  for (const none of ["fentry", "fentry/", "lsm_cgroup.s/x", "freplace.s/x", "tp_btf/sched_switch", "iter/task", "fentry/a/b"]) {
    assert.equal(tracingOfSection(none), undefined, none);
  }
});

const PROGRAMS = [
  ["enter_openat", "tracing", "function do_sys_openat2", 0],
  ["exit_openat", "tracing", "function do_sys_openat2", 1],
  ["modify_file_open", "tracing", "function security_file_open", 2],
  ["on_file_open", "lsm", "function file_open", 3],
] as const;

for (const [name, type, target, slot] of PROGRAMS) {
  test(`${name}: loads and counts where trampolines are allowed; here the exact EPERM explanation`, (t) => {
    const spec = loadObjectSpec(OBJECT);
    spec.variable("target_tgid").set(process.pid);
    let objects: Collection;
    try {
      objects = Collection.load(spec, { programs: [name] });
    } catch (e) {
      assert.ok(e instanceof PermissionError, String(e));
      assert.equal(e.message,
        `BPF_PROG_LOAD (${type} program '${name}'): EPERM: the kernel refused to attach a BPF trampoline to the target ${target} ` +
        "(fentry/fexit/fmod_ret/lsm/freplace need ftrace-based direct calls). The process holds every BPF capability, " +
        "so the kernel's configuration or a security policy blocks ftrace attachment — check that " +
        "/sys/kernel/tracing/available_filter_functions is readable; tp_btf and raw_tp programs are alternatives");
      return skipFor(t, "BPF trampolines refused", e.message);
    }
    if (!requireOracle(t, "bpftool")) return objects.close();
    using _objects = objects;
    const program = objects.program(name);
    {
      using link = attachTracing(program, { cookie: 7n });
      assert.equal(link.target, `${tracingOfSection(program.sectionName!)!.kind} ${target.replace("function ", "")}`);
      readFileSync("/proc/self/stat");
    }
    assert.ok(readCounter(objects.map("hits"), slot) >= 1n);
    assert.deepEqual(bpftoolLinksOf(program.id), []);
  });
}

test("bad input: attachTracing refuses raw_tp and tp_btf programs, naming the right attach function", () => {
  const spec = loadObjectSpec(RAW_TP);
  using objects = Collection.load(spec);
  assert.throws(() => attachTracing(objects.program("raw_enter")),
    (e: Error) => e instanceof InvalidArgumentError && /'raw_enter' is a raw_tracepoint program from SEC\("raw_tp\/sys_enter"\); attachTracing needs a fentry/.test(e.message));
  assert.throws(() => attachTracing(objects.program("btf_enter")),
    (e: Error) => e instanceof InvalidArgumentError && /tp_btf programs attach with attachRawTracepoint/.test(e.message));
});
