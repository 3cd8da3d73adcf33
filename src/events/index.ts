// Public API of the events layer: readers of the buffers programs write to.
export { RingBuffer, type RingBufferReadOptions, type RecordCallback } from "./ring-buffer.js";
export {
  PerfBuffer,
  type PerfBufferOptions,
  type PerfBufferReadOptions,
  type PerfRecord,
  type PerfRecordCallback,
} from "./perf-buffer.js";
