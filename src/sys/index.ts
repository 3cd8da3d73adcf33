// `tsbpf/sys`: the raw kernel boundary, for those who want it — typed errors,
// fds, bpf_attr layouts, object ids and pins, and the attach-family calls
// (links, prog attach/query, raw tracepoints, iterators, perf events).
export * from "./errors.js";
export { FD } from "./fd.js";
export { Attr, defineLayout, stableBytes, addressOf, type Layout, type FieldDef } from "./attr.js";
export * from "./objects.js";
export { possibleCpuCount, onlineCpus, parseCpuList } from "./cpus.js";
export * from "./link.js";
export * from "./link-info.js";
export * from "./attach.js";
export * from "./attach-flags.js";
export { attachError, describeAttachType, attachTypeSince, type AttachContext } from "./attach-errors.js";
export * from "./raw-tracepoint.js";
export * from "./iter.js";
export * from "./perf-event.js";
export * from "./netlink/index.js";
export { setSocketIntOption, SocketOption } from "./socket.js";
