// The CLI's finish, as bpftool's: an object alone runs its first command,
// help without duplicated usage lines, did-you-mean for typos, errors as
// JSON on stdout under -j, a quiet exit on a closed pipe, -d's loader lines
// and full verifier log, bash completion and man pages from the one table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAllObjects, OBJECTS } from "../../src/cli/table.js";
import { commandHelp, objectHelp, uniqueSynopses } from "../../src/cli/command.js";
import { manPages } from "../../src/cli/man.js";
import { bashCompletion } from "../../src/cli/completion.js";
import { closest, editDistance } from "../../src/cli/suggest.js";
import { CLI, bpftool, ok, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";
import { requireOracle } from "../util/environment.js";
import { vethPair } from "../util/netns.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = (p: string): string => path.join(REPO, p);

/** The usage lines of a help text ("Usage: …" and the indented "tsbpf …" lines after it). */
function usageLines(help: string): string[] {
  const lines: string[] = [];
  for (const line of help.split("\n")) {
    if (line.startsWith("Usage: ")) lines.push(line.slice(7).trim());
    else if (lines.length && /^ {7}tsbpf /.test(line)) lines.push(line.trim());
    else if (lines.length) break;
  }
  return lines;
}

test("an object alone runs what bpftool's runs: its first command (show/probe), iter its help", async () => {
  // bpftool 7.1: prog, map, link, perf, net, struct_ops, btf → show; feature → probe; cgroup → show (needs CGROUP); iter → help; gen → its first verb (fails without arguments).
  for (const object of ["prog", "map", "link", "perf", "btf", "struct_ops"]) {
    const bare = tsbpf("-j", object);
    assert.equal(bare.status, 0, `${object}: ${bare.stderr}`);
    assert.ok(Array.isArray(JSON.parse(bare.stdout)), `tsbpf -j ${object} prints the show list`);
    // The same shape as bpftool's bare object.
    assert.equal(typeof JSON.parse(bpftool("-j", object)), typeof JSON.parse(bare.stdout), object);
  }
  // net alone is net show, in a namespace of the test's whose device has a qdisc with non-nested
  // options (pfifo_fast: what eth0 of a fresh machine has; its TCA_OPTIONS once broke the tc dump).
  const veth = vethPair("tsbpf-bare");
  try {
    const inNs = (cmd: string, ...args: string[]): string => {
      const r = spawnSync("nsenter", [`--net=/run/netns/${veth.a}`, cmd, ...args], { encoding: "utf8" });
      assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    inNs("tc", "qdisc", "add", "dev", "veth0", "root", "pfifo_fast");
    const ours = inNs(process.execPath, CLI, "net");
    assert.equal(ours, inNs(process.execPath, CLI, "net", "show"));
    // bpftool 7.1 does not know netfilter links yet.
    assert.equal(ours.replace(/netfilter:\n\n$/, ""), inNs("bpftool", "net"));
  } finally {
    veth.cleanup();
  }
  const cgroup = tsbpf("cgroup");
  assert.equal(cgroup.status, 2);
  assert.match(cgroup.stderr, /missing CGROUP/, "cgroup alone is cgroup show, which needs a cgroup (bpftool: \"needs at least 1 arguments\")");
  assert.match(ok("iter"), /^Usage: tsbpf iter pin OBJ PATH/);
  assert.match(ok("feature", "--help"), /^Usage: tsbpf feature probe/, "--help still prints the object's help");
  const objects = await loadAllObjects();
  const feature = objects.find((o) => o.name === "feature")!;
  assert.equal(feature.bare ?? feature.commands[0]?.name, "probe");
});

test("no help repeats a usage line, and aliases share one", async () => {
  const objects = await loadAllObjects();
  const main = usageLines(ok("help"));
  assert.equal(new Set(main).size, main.length, `top-level help: ${main.join(" / ")}`);
  for (const obj of objects) {
    const help = objectHelp(obj);
    assert.equal(ok(obj.name, "help"), `${help}\n`, `tsbpf ${obj.name} help prints objectHelp`);
    const lines = usageLines(help);
    assert.equal(new Set(lines).size, lines.length, `${obj.name} help repeats a usage line:\n${lines.join("\n")}`);
    assert.equal(lines.length, uniqueSynopses(obj).length + 1, `${obj.name}: one line per synopsis, plus help`);
    // Commands that run the same code are aliases: one synopsis names them all.
    for (const a of obj.commands) {
      for (const b of obj.commands) {
        if (a !== b && a.run === b.run) assert.equal(a.synopsis, b.synopsis, `${obj.name} ${a.name} and ${b.name} are aliases`);
      }
      assert.match(a.synopsis, new RegExp(`(^|[{|] )${a.name}\\b`), `${obj.name} ${a.name}: its synopsis names it`);
      const one = usageLines(commandHelp(obj, a));
      assert.deepEqual(one, [`tsbpf ${obj.name} ${a.synopsis}`], `${obj.name} ${a.name} help`);
      assert.equal(ok(obj.name, a.name, "help"), `${commandHelp(obj, a)}\n`);
    }
  }
});

test("did-you-mean: mistyped objects, verbs and keywords name the closest word", () => {
  assert.equal(editDistance("porg", "prog"), 1);
  assert.equal(closest("x", ["map", "prog"]), undefined, "a one-letter word suggests nothing");
  const cases: [string[], RegExp, string][] = [
    [["porg", "show"], /unknown object 'porg' \(did you mean 'prog'\?\)/, "tsbpf help"],
    [["mpa"], /unknown object 'mpa' \(did you mean 'map'\?\)/, "tsbpf help"],
    [["prog", "shwo"], /unknown command 'shwo' for 'prog' \(did you mean 'show'\?\)/, "tsbpf prog help"],
    [["map", "lokup"], /unknown command 'lokup' for 'map' \(did you mean 'lookup'\?\)/, "tsbpf map help"],
    [["prog", "show", "naem", "x"], /got 'naem' \(did you mean 'name'\?\)/, "tsbpf prog show help"],
    [["prog", "dump", "xlatd", "id", "1"], /expected 'xlated', got 'xlatd' \(did you mean 'xlated'\?\)/, "tsbpf prog dump help"],
    [["btf", "dump", "fiel", "/x"], /unknown BTF source 'fiel' \(did you mean 'file'\?\)/, "tsbpf btf dump help"],
    [["feature", "list_builtins", "map_type"], /did you mean 'map_types'\?/, "tsbpf feature list_builtins help"],
    [["map", "create", "/sys/fs/bpf/x", "typ", "hash"], /unknown keyword 'typ' \(did you mean 'type'\?\)/, "tsbpf map create help"],
    [["--jsno", "map", "show"], /unknown option --jsno \(did you mean '--json'\?\)/, "tsbpf help"],
  ];
  for (const [args, message, help] of cases) {
    const r = tsbpf(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.ok(r.stderr.includes(`Run '${help}' for usage.`), `${args.join(" ")}: ${r.stderr}`);
  }
  // Nothing close: the choices are listed instead.
  assert.match(tsbpf("frobnicate").stderr, /unknown object 'frobnicate' \(expected one of: prog, map, link/);
});

test("-j: errors are a JSON object on stdout with a non-zero status, as bpftool's", () => {
  const bpftoolError = spawnSync("bpftool", ["-j", "prog", "show", "id", "4294967295"], { encoding: "utf8" });
  assert.notEqual(bpftoolError.status, 0);
  const theirs = JSON.parse(bpftoolError.stdout) as Record<string, unknown>;
  for (const args of [["prog", "show", "id", "4294967295"], ["map", "show", "id", "4294967295"], ["porg"], ["map", "lookup"], ["btf", "dump", "file", "/nonexistent"], ["--bogus", "map"]]) {
    for (const flag of ["-j", "-p"]) {
      const r = tsbpf(flag, ...args);
      assert.notEqual(r.status, 0, args.join(" "));
      assert.equal(r.stderr, "", `${flag} ${args.join(" ")}: nothing on stderr`);
      const ours = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(ours), Object.keys(theirs), "one key, \"error\", like bpftool's");
      assert.equal(typeof ours.error, "string");
      if (flag === "-p") assert.match(r.stdout, /^\{\n {4}"error": /, "-p indents it as bpftool -p does");
    }
  }
  // Without -j, errors stay on stderr.
  const plain = tsbpf("prog", "show", "id", "4294967295");
  assert.equal(plain.stdout, "");
  assert.match(plain.stderr, /^Error: no prog with id 4294967295/);
});

test("a closed pipe ends the command quietly with status 141, as SIGPIPE ends bpftool", () => {
  // Node.js ignores SIGPIPE and its children inherit that: give the shell the default back, as a terminal's has.
  const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;
  const script = (cmd: string, head = "head -1"): string => `env --default-signal=PIPE bash -c ${quote(`set -o pipefail; ${cmd} | ${head}; echo "status=$?" >&2`)}`;
  const ours = spawnSync("bash", ["-c", script(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} btf dump file /sys/kernel/btf/vmlinux format c`)], { encoding: "utf8" });
  const theirs = spawnSync("bash", ["-c", script("bpftool btf dump file /sys/kernel/btf/vmlinux format c")], { encoding: "utf8" });
  assert.equal(ours.stdout, theirs.stdout, "the first line, the same");
  assert.equal(ours.stderr, "status=141\n", `no EPIPE error or stack: ${ours.stderr}`);
  assert.equal(theirs.stderr, "status=141\n");
  const json = spawnSync("bash", ["-c", script(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} -j btf dump file /sys/kernel/btf/vmlinux`, "head -c 100")], { encoding: "utf8" });
  assert.equal(json.stderr, "status=141\n", json.stderr);
});

test("-d prints the loader's debug lines and the whole verifier log; without it the error says how to get the log", () => {
  const dir = bpffsTempDir("tsbpf-cli-debug-");
  try {
    const loaded = tsbpf("-d", "prog", "load", fixture("examples/bootstrap/bootstrap.bpf.o"), `${dir.path}/boot`);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stderr, /^tsbpf: map 'exec_start': created \(hash, key 4 B, value 8 B, max_entries 8192\)$/m);
    assert.match(loaded.stderr, /^tsbpf: CO-RE: relocating against vmlinux/m);
    assert.match(loaded.stderr, /^tsbpf: program 'handle_exec': CO-RE relo #0: insn #\d+: FIELD_BYTE_OFFSET struct task_struct\.real_parent .* → vmlinux \[\d+\] struct task_struct\.real_parent/m);
    assert.match(loaded.stderr, /^tsbpf: program 'handle_exec': loaded \(SEC\("tp\/sched\/sched_process_exec"\), \d+ insns, id \d+\)$/m);
    assert.equal(tsbpf("prog", "load", fixture("examples/bootstrap/bootstrap.bpf.o"), `${dir.path}/boot2`).stderr, "", "quiet without -d");

    const object = fixture("test/fixtures/verifier/null-deref.bpf.o");
    const quiet = tsbpf("prog", "load", object, `${dir.path}/bad`);
    assert.equal(quiet.status, 1);
    assert.match(quiet.stderr, /the verifier rejected the program: R0 invalid mem access 'map_value_or_null'.*Run with -d for the full verifier log/);
    assert.doesNotMatch(quiet.stderr, /`log` property/, "a CLI user has no error object");
    const loud = tsbpf("-d", "prog", "load", object, `${dir.path}/bad`);
    assert.equal(loud.status, 1);
    const log = loud.stderr.slice(loud.stderr.indexOf("Verifier log:\n"));
    assert.match(log, /^Verifier log:\n0: R1=ctx\(\) R10=fp0\n/);
    assert.match(log, /\n7: \(79\) r0 = \*\(u64 \*\)\(r0 \+0\)\nR0 invalid mem access 'map_value_or_null'\nprocessed 7 insns/);
    assert.equal(readdirSync(dir.path).sort().join(","), "boot,boot2", "nothing pinned for the failed load");
  } finally {
    dir.cleanup();
  }
});

test("bash completion comes from the table: objects, verbs, keywords, files", async () => {
  const objects = await loadAllObjects();
  const script = ok("completion", "bash");
  assert.equal(script, bashCompletion(objects));
  const dir = mkdtempSync(path.join(tmpdir(), "tsbpf-completion-"));
  try {
    const file = path.join(dir, "tsbpf.bash");
    writeFileSync(file, script);
    writeFileSync(path.join(dir, "probe.bpf.o"), "");
    /** What bash completes for the words typed so far (the last one being completed). */
    const complete = (...words: string[]): string[] => {
      const r = spawnSync("bash", ["-c", [
        `source ${JSON.stringify(file)}`,
        `COMP_WORDS=(tsbpf ${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${words.length}`,
        "_tsbpf; printf '%s\\n' \"${COMPREPLY[@]}\"",
      ].join("\n")], { encoding: "utf8", cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean).sort();
    };
    assert.deepEqual(complete("p"), ["perf", "prog"]);
    assert.deepEqual(complete("--js"), ["--json"]);
    assert.deepEqual(complete("-j", "prog", "d"), ["detach", "dump"]);
    assert.deepEqual(complete("prog", "dump", "x"), ["xlated"]);
    assert.deepEqual(complete("prog", "show", "p"), ["pinned", "probe.bpf.o"], "keywords of PROG, and files for pinned FILE");
    assert.deepEqual(complete("map", "create", "/x", "type", "percpu_a"), ["percpu_array"]);
    assert.deepEqual(complete("prog", "load", "pro"), ["probe.bpf.o"], "OBJ completes files");
    assert.deepEqual(complete("btf", "dump", "fi"), ["file"]);
    assert.deepEqual(complete("completion", ""), ["bash"]);
    for (const o of OBJECTS) assert.ok(complete("").includes(o.name), o.name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the committed man pages are the ones the table makes (npm run man), listed in package.json, and man renders them cleanly", async (t) => {
  const pages = manPages(await loadAllObjects());
  const dir = path.join(REPO, "man");
  const committed = readdirSync(dir).filter((f) => f.endsWith(".8")).sort();
  assert.deepEqual(committed, [...pages.keys()].sort(), "man/ has one page per object, plus tsbpf.8 (npm run man)");
  for (const [file, text] of pages) assert.equal(readFileSync(path.join(dir, file), "utf8"), text, `man/${file} is out of date: npm run man`);
  const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { man?: string[]; files?: string[] };
  assert.deepEqual([...(pkg.man ?? [])].sort(), [...pages.keys()].map((f) => `./man/${f}`).sort(), "package.json \"man\" lists every page");
  assert.ok(pkg.files?.includes("man/*.8"), "package.json \"files\" ships the pages");
  if (!requireOracle(t, "man-db")) return;
  for (const file of pages.keys()) {
    const r = spawnSync("man", ["--warnings", "-l", path.join(dir, file)], { encoding: "utf8", env: { ...process.env, MANWIDTH: "80", MAN_KEEP_FORMATTING: "" } });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stderr, "", `${file}: man warns`);
    assert.match(r.stdout, /NAME\n\s+tsbpf/, file);
  }
});
