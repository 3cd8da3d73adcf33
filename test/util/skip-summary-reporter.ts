// A node:test reporter that prints, at the end of a run, which environment
// facts and which missing oracles caused skips (the skip policy of
// test/util/environment.ts), so CI output says what this machine could not
// test. `npm test` runs it next to the spec reporter. A skip whose reason is
// not one of the policy's is listed as unlisted, and fails a CI=true run:
// the lint rule should have caught it, this catches what lint cannot see.
import type { TestEvent } from "node:test/reporters";
import { ENVIRONMENT_PREFIX, ORACLE_PREFIX, inCi } from "./environment.js";

interface SkipGroup {
  readonly tests: string[];
}

/** "[environment: no kprobes] …" → ["environment", "no kprobes"]. */
function classify(reason: string): [kind: string, name: string] {
  for (const [prefix, kind] of [[ENVIRONMENT_PREFIX, "environment fact"], [ORACLE_PREFIX, "missing oracle"]] as const) {
    if (reason.startsWith(prefix)) return [kind, reason.slice(prefix.length, reason.indexOf("]"))];
  }
  return ["unlisted reason", reason];
}

export default async function* skipSummary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const groups = new Map<string, SkipGroup>();
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const skip = event.data.skip;
    if (skip === undefined || skip === false) continue;
    const [kind, name] = classify(typeof skip === "string" ? skip : "(no reason given)");
    const key = `${kind}: ${name}`;
    const group = groups.get(key) ?? { tests: [] };
    const file = event.data.file ? ` (${event.data.file.replace(/^.*\/dist\//, "").replace(/\.js$/, ".ts")})` : "";
    group.tests.push(`${event.data.name}${file}`);
    groups.set(key, group);
  }
  if (groups.size === 0) {
    yield "\nskips: none\n";
    return;
  }
  const lines = ["", `skips by cause (${[...groups.values()].reduce((n, g) => n + g.tests.length, 0)} in all):`];
  for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${key}: ${group.tests.length}`);
    for (const test of group.tests) lines.push(`    - ${test}`);
  }
  const unlisted = [...groups.keys()].filter((k) => k.startsWith("unlisted reason"));
  if (unlisted.length > 0 && inCi()) {
    lines.push(`  FAIL: ${unlisted.length} skip reason(s) outside the policy of test/util/environment.ts under CI=true`);
    process.exitCode = 1;
  }
  yield `${lines.join("\n")}\n`;
}
