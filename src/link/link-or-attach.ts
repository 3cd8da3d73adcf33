// The choice the families with both a BPF link and BPF_PROG_ATTACH make
// (cgroup, netns, sockmap): "auto" takes the link and falls back to
// PROG_ATTACH only on kernels that have no link for the hook; "link" and
// "attach" force one.
import { InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import type { Link } from "./link.js";

/** How to attach: "auto" (a BPF link, else BPF_PROG_ATTACH), "link" or "attach". */
export type AttachMethod = "auto" | "link" | "attach";

/** True for what link_create answers on kernels without links for the hook (EINVAL, EOPNOTSUPP/ENOTSUPP). */
export function noLinkSupport(e: unknown): boolean {
  return e instanceof InvalidArgumentError || e instanceof NotSupportedError;
}

/**
 * Attaches with `createLink` unless `method` is "attach"; with "auto", when
 * it fails and `canFallBack(error)` (default: noLinkSupport), with
 * `progAttach` instead. Other errors are thrown as they are.
 */
export function linkOrProgAttach(method: AttachMethod, createLink: () => Link, progAttach: () => Link, canFallBack: (e: unknown) => boolean = noLinkSupport): Link {
  if (method !== "attach") {
    try {
      return createLink();
    } catch (e) {
      if (method === "link" || !canFallBack(e)) throw e;
    }
  }
  return progAttach();
}
