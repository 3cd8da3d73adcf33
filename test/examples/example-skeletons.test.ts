// The examples use committed generated skeletons (examples/<tool>/<tool>.skel.ts):
// each must be exactly what `tsbpf gen skeleton` makes from the committed
// object with the options in scripts/example-skeletons.ts, so an object
// rebuilt from changed C (a field renamed, a type dropped) cannot leave a stale
// skeleton behind. Fix a failure with `node dist/scripts/example-skeletons.js`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EXAMPLE_SKELETONS, generateExampleSkeleton, skeletonFile } from "../../scripts/example-skeletons.js";

for (const example of EXAMPLE_SKELETONS) {
  test(`examples/${example.tool}/${example.tool}.skel.ts is the skeleton of its object, regenerated`, () => {
    const { source, notes } = generateExampleSkeleton(example);
    assert.deepEqual(notes, example.expectedNotes, "the example's skeleton types everything but what its table entry expects to be left out");
    assert.ok(
      readFileSync(skeletonFile(example), "utf8") === source,
      `${example.tool}.skel.ts drifted from ${example.tool}.bpf.o: run node dist/scripts/example-skeletons.js and commit the result`,
    );
  });
}
