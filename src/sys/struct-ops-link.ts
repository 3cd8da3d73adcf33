// BPF_LINK_CREATE and BPF_LINK_UPDATE for struct_ops maps (attach type
// BPF_STRUCT_OPS, Linux 6.4): the link takes a map fd where other links take
// a program fd, so it has its own small entry points instead of special
// cases in linkCreate/linkUpdate.
import { Attr } from "./attr.js";
import { Cmd, LinkCreateAttr, LinkUpdateAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { attachError } from "./attach-errors.js";
import { AttachFlags } from "./attach-flags.js";
import { EINVAL, ENOTSUPP, EOPNOTSUPP, EPERM } from "./errno.js";
import { InvalidArgumentError, NotFoundError, NotSupportedError } from "./errors.js";

/** enum bpf_attach_type BPF_STRUCT_OPS. */
const BPF_STRUCT_OPS = 44;
/** The link no longer has a map (it was detached). */
const ENOLINK = 67;

const createAttr = new Attr(LinkCreateAttr);
const updateAttr = new Attr(LinkUpdateAttr);

/**
 * Registers the struct_ops map (created with BPF_F_LINK, its value already
 * written) through a link; closing every fd and pin of the link unregisters it.
 */
export function structOpsLinkCreate(mapFd: FD): FD {
  const a = createAttr.zero();
  a.set("map_fd", mapFd.raw).set("attach_type", BPF_STRUCT_OPS);
  const r = bpfRaw(Cmd.LINK_CREATE, a.address, a.size);
  if (r < 0) throw attachError(-r, { operation: "BPF_LINK_CREATE", attachType: BPF_STRUCT_OPS, target: `${mapFd}`, attr: a });
  return new FD(r, "link fd");
}

/**
 * Puts another struct_ops map behind a struct_ops link atomically (the
 * subsystem swaps the registered implementation without a gap). With
 * `oldMapFd`, BPF_F_REPLACE: only if that map is the one behind the link.
 */
export function structOpsLinkUpdate(linkFd: FD, newMapFd: FD, oldMapFd?: FD): void {
  const a = updateAttr.zero();
  a.set("link_fd", linkFd.raw).set("new_map_fd", newMapFd.raw);
  if (oldMapFd) a.set("flags", AttachFlags.REPLACE).set("old_map_fd", oldMapFd.raw);
  const r = bpfRaw(Cmd.LINK_UPDATE, a.address, a.size);
  if (r >= 0) return;
  const d = { operation: "BPF_LINK_UPDATE", errno: -r };
  switch (-r) {
    case EPERM:
      if (oldMapFd) throw new InvalidArgumentError(`BPF_LINK_UPDATE: the struct_ops link no longer holds the map given as the old one (${oldMapFd}); it was updated elsewhere`, "oldMapFd", d);
      break;
    case EINVAL:
      throw new InvalidArgumentError(
        "BPF_LINK_UPDATE: the kernel refused the new struct_ops map: it must be a .struct_ops.link (BPF_F_LINK) map of the same " +
          "kernel struct with its value written, and the subsystem must accept the swap (tcp_congestion_ops: the same .name)",
        "newMapFd", d,
      );
    case ENOLINK:
      throw new NotFoundError("BPF_LINK_UPDATE: the struct_ops link was detached, so it has no map to replace", d);
    case EOPNOTSUPP:
    case ENOTSUPP:
      throw new NotSupportedError("swapping the map of this kind of struct_ops link (its struct has no update operation)", "6.4", d);
  }
  throw attachError(-r, { operation: "BPF_LINK_UPDATE", attachType: BPF_STRUCT_OPS, target: `${linkFd}`, attr: a });
}
