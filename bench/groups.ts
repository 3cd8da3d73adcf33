// The one registration point of the benchmark suite: every group listed here
// is run by `npm run bench` and exercised by test/bench/bench-smoke.test.ts.
// To add a group (e.g. BTF parse/dump against btf__parse and bpftool), write
// bench/<group>.ts exporting a BenchGroup and append it to this list.
import type { BenchGroup } from "./harness.js";
import { mapOpsGroup } from "./map-ops.js";
import { mapBatchGroup } from "./map-batch.js";
import { btfParseGroup } from "./btf-parse.js";
import { btfDumpGroup } from "./btf-dump.js";
import { collectionLoadGroup } from "./collection-load.js";
import { codecGroup } from "./codec.js";

/** Every benchmark group, in the order they run and print. */
export const benchmarkGroups: readonly BenchGroup[] = [mapOpsGroup, mapBatchGroup, btfParseGroup, btfDumpGroup, collectionLoadGroup, codecGroup];
