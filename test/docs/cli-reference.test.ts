// docs/cli.md is generated from the CLI's command table; a command added or
// changed without regenerating it (`npm run docs:cli`) fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CLI_REFERENCE_PATH, renderCliReference } from "../../scripts/cli-reference.js";
import { OBJECTS } from "../../src/cli/table.js";

test("docs/cli.md is what scripts/cli-reference.ts generates from the command table", async () => {
  const expected = await renderCliReference();
  assert.ok(readFileSync(CLI_REFERENCE_PATH, "utf8") === expected, "docs/cli.md is out of date: run `npm run docs:cli`");
});

test("the CLI reference has every object and every verb of the table, with its synopsis", async () => {
  const text = await renderCliReference();
  for (const entry of OBJECTS) {
    const obj = await entry.load();
    assert.match(text, new RegExp(`^## tsbpf ${entry.name}$`, "m"), entry.name);
    for (const cmd of obj.commands) {
      assert.ok(text.includes(`tsbpf ${obj.name} ${cmd.synopsis}\n`), `${obj.name} ${cmd.name}`);
      for (const example of cmd.examples ?? []) assert.ok(text.includes(`${example}\n`), example);
    }
  }
});
