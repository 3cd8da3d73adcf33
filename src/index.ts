// Public API of tsbpf.
export * from "./sys/index.js";
