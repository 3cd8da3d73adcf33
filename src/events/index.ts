// Public API of the events layer: readers of the buffers programs write to.
export { RingBuffer, type RingBufferReadOptions, type RecordCallback, type BatchRecordCallback } from "./ring-buffer.js";
export { RingBufferReader } from "./ring-buffer-reader.js";
export {
  PerfBuffer,
  type PerfBufferOptions,
  type PerfBufferReadOptions,
  type PerfRecord,
  type PerfRecordCallback,
  type PerfBatchCallback,
} from "./perf-buffer.js";
export { readTracePipe, parseTraceLine, tracePipePath, type TraceLine, type TracePipeOptions } from "./trace-pipe.js";
export { TypedRingBuffer, TypedPerfBuffer, TypedRecordReader, type TypedRecordOptions, type TypedPerfBufferOptions } from "./typed-records.js";
