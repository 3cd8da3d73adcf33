// Public API of the events layer: readers of the buffers programs write to.
export { RingBuffer, type RingBufferReadOptions, type RecordCallback } from "./ring-buffer.js";
