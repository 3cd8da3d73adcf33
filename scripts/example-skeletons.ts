// The examples' generated skeletons (examples/<tool>/<tool>.skel.ts): the
// one table of how each is generated, used to write them and by the test
// that fails when a committed one drifts from its object
// (test/examples/example-skeletons.test.ts). In the repository the
// skeletons import the library from src/ (or "tsbpf", the package itself, for
// opensnoop, which runs as a user would) and reference their committed object
// by a path from dist/examples/<tool>/, where the compiled module runs.
//   usage: node dist/scripts/example-skeletons.js [--check]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateSkeleton, type SkeletonOptions, type SkeletonOutput } from "../src/gen/skeleton/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where the examples' skeletons import the library from (the repository's sources). */
const LIBRARY = "../../src/index.js";

/** One example's skeleton: its tool directory and the generator's options. */
export interface ExampleSkeleton {
  readonly tool: string;
  readonly options: SkeletonOptions;
  /** The generator's notes this example accepts (what it leaves out on purpose); any other note fails the test. */
  readonly expectedNotes: readonly string[];
}

function example(tool: string, eventTypes: Readonly<Record<string, string>>, importFrom = LIBRARY, expectedNotes: readonly string[] = []): ExampleSkeleton {
  // The skeleton's name must be an identifier: "uprobe-tracer" → uprobe_tracer (as bpftool derives it from the file name).
  return { tool, expectedNotes, options: { name: tool.replaceAll("-", "_"), eventTypes, objectPath: `../../../examples/${tool}/${tool}.bpf.o`, importFrom } };
}

/** Every committed example skeleton. */
export const EXAMPLE_SKELETONS: readonly ExampleSkeleton[] = [
  example("bootstrap", { events: "struct process_event" }),
  example("execsnoop", { events: "struct exec_event" }),
  example("opensnoop", { events: "struct open_event" }, "tsbpf"),
  example("runqslower", { events: "struct runq_event" }),
  example("profile", {}),
  // BPF_SEQ_PRINTF keeps its format string in a static .rodata variable, which
  // skeletons leave out (as bpftool does): nothing to configure there.
  example("ps", {}, LIBRARY, [
    "variable 'ps_tasks.___fmt' (.rodata) is static: left out as bpftool does; reach it through skel.spec.variables / skel.collection.variables",
  ]),
  example("uprobe-tracer", { events: "struct call_event" }),
  example("usdt-tracer", { events: "struct function_event" }),
  example("xdp-counter", {}),
  example("tc-classifier", {}),
];

/** Where an example's skeleton is committed. */
export function skeletonFile(e: ExampleSkeleton): string {
  return path.join(ROOT, "examples", e.tool, `${e.tool}.skel.ts`);
}

/** The skeleton of an example, generated from its committed object. */
export function generateExampleSkeleton(e: ExampleSkeleton): SkeletonOutput {
  return generateSkeleton(readFileSync(path.join(ROOT, "examples", e.tool, `${e.tool}.bpf.o`)), e.options);
}

function main(check: boolean): number {
  let drifted = 0;
  for (const e of EXAMPLE_SKELETONS) {
    const { source, notes } = generateExampleSkeleton(e);
    for (const note of notes.filter((n) => !e.expectedNotes.includes(n))) process.stderr.write(`${e.tool}: note: ${note}\n`);
    const file = skeletonFile(e);
    if (check) {
      let committed = "";
      try {
        committed = readFileSync(file, "utf8");
      } catch {
        // Missing: reported as drift below.
      }
      if (committed !== source) {
        process.stderr.write(`${path.relative(ROOT, file)} is out of date: run node dist/scripts/example-skeletons.js\n`);
        drifted++;
      }
    } else {
      writeFileSync(file, source);
      process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
    }
  }
  return drifted === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.includes("--check"));
}
