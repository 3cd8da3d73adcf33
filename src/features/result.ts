// The shape of one probe's answer: a yes/no plus why, so tools can tell
// "the kernel does not know this" from "you are not allowed to find out".
import { errnoName } from "../sys/errno.js";

/** The answer of one feature probe. */
export interface ProbeResult {
  /** True when the running kernel supports the feature. */
  readonly supported: boolean;
  /** The errno that decided a negative answer (0 when supported or not applicable). */
  readonly errno: number;
  /** One line a human can act on, e.g. "EPERM: the kernel refused to load it". */
  readonly reason: string;
}

/** A positive answer. */
export const SUPPORTED: ProbeResult = Object.freeze({ supported: true, errno: 0, reason: "available" });

/** A negative answer caused by `errno`, with an optional explanation. */
export function unsupported(errno: number, why = ""): ProbeResult {
  const name = errno ? errnoName(errno) : "";
  const reason = [name, why].filter(Boolean).join(": ") || "not available";
  return Object.freeze({ supported: false, errno, reason });
}
