// `tsbpf iter pin OBJ PATH [map MAP]` next to `bpftool iter pin`: the pinned
// iterator runs on every read (`cat PATH` lists this test's own process),
// both tools' pins are the same kind of link, and removing the pin ends it.
// Bad input leaves nothing pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bpftool, ok, tsbpf } from "../util/cli.js";
import { bpffsTempDir } from "../util/kernel.js";
import { requireOracle } from "../util/environment.js";
import { counterMap } from "../sys/sys-attach-helpers.js";

const ITER = fileURLToPath(new URL("../../../test/fixtures/cli-link/iter.bpf.o", import.meta.url));
const NOT_ITER = fileURLToPath(new URL("../../../test/fixtures/cli-link/links.bpf.o", import.meta.url));

/** `link show` with the ids (link, program) blanked: two pins of the same object then print alike. */
const withoutIds = (s: string): string => s.replace(/^\d+: /gm, "N: ").replace(/prog \d+/g, "prog N").replace(/"(id|prog_id)":\d+/g, '"$1":0');

test("iter pin: cat PATH runs the task iterator; the pin is an iter link like bpftool's; rm ends it", (t) => {
  if (!requireOracle(t, "bpftool")) return;
  const dir = bpffsTempDir("tsbpf-cli-iter-");
  try {
    const ours = `${dir.path}/ours`;
    const theirs = `${dir.path}/theirs`;
    assert.equal(ok("iter", "pin", ITER, ours), "");
    assert.equal(bpftool("iter", "pin", ITER, theirs), "");
    // Each read is a fresh iteration: this process and its comm are listed both times.
    for (let i = 0; i < 2; i++) assert.match(readFileSync(ours, "utf8"), new RegExp(`^${process.pid} node$`, "m"));
    const oursLines = readFileSync(ours, "utf8").split("\n").length;
    const theirsLines = readFileSync(theirs, "utf8").split("\n").length;
    assert.ok(Math.abs(oursLines - theirsLines) < 20, `both list every process (${oursLines} vs ${theirsLines} lines)`);
    for (const opts of [[], ["-j"]]) {
      assert.equal(withoutIds(ok(...opts, "link", "show", "pinned", ours)), withoutIds(bpftool(...opts, "link", "show", "pinned", theirs)));
    }
    assert.match(ok("link", "show", "pinned", ours), /^\d+: iter {2}prog \d+ {2}target_name task {2}\n$/);
    const id = (JSON.parse(ok("-j", "link", "show", "pinned", ours)) as { id: number }).id;
    assert.equal(ok("-j", "iter", "pin", ITER, `${dir.path}/json`), "null\n");
    rmSync(ours);
    assert.equal(tsbpf("link", "show", "id", String(id)).status, 1, "the link went with its pin");
  } finally {
    dir.cleanup();
  }
});

test("iter pin errors: not an iterator, map for a task iterator, paths off bpffs, bad words; nothing pinned", () => {
  const dir = bpffsTempDir("tsbpf-cli-iter-err-");
  const failure = (args: string[], status: number, pattern: RegExp): void => {
    const r = tsbpf(...args);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  try {
    const path = `${dir.path}/it`;
    failure(["iter", "pin", NOT_ITER, path], 1, /program on_raw_tp \(SEC\("raw_tp\/sys_enter"\)\) is not an iterator/);
    using map = counterMap(1, "tsbpf_iter_map");
    failure(["iter", "pin", ITER, path, "map", "id", String(map.info().id)], 1, /'map MAP' is for map iterators .*iterates 'task'/);
    failure(["iter", "pin", ITER, "/tmp/tsbpf-iter-not-bpffs"], 1, /not on a bpffs mount/);
    failure(["iter", "pin", ITER, path, "bogus"], 2, /expected 'map', got 'bogus'/);
    failure(["iter", "pin", ITER], 2, /missing PATH/);
    failure(["iter", "pin", ITER, path, "map", "id", "4294967295"], 1, /no map with id 4294967295/);
    failure(["iter", "pin", "/nonexistent.bpf.o", path], 1, /nonexistent/);
    assert.equal(existsSync(path), false);
    assert.equal(existsSync("/tmp/tsbpf-iter-not-bpffs"), false);
  } finally {
    dir.cleanup();
  }
});
