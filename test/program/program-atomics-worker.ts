// Worker for program-testrun.test.ts: opens a program by id and runs it
// `runs` times with BPF_PROG_TEST_RUN repeat=`repeat`, in its own thread.
import { parentPort, workerData } from "node:worker_threads";
import { Program } from "../../src/program.js";

interface Job { id: number; runs: number; repeat: number; data: Uint8Array }

const job = workerData as Job;
using prog = Program.fromId(job.id);
let retvals = 0;
for (let i = 0; i < job.runs; i++) retvals += prog.testRun({ data: job.data, repeat: job.repeat, dataOutSize: 0 }).retval;
parentPort?.postMessage({ retvals });
