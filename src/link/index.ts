// Public API of the link layer: attaching programs, one file per attach family.
export { Link } from "./link.js";
export {
  attachTracepoint, parseTracepoint, tracepointOfSection, type TracepointName, type TracepointOptions,
} from "./tracepoint.js";
