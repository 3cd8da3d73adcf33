// BPF_LINK_CREATE for struct_ops maps (attach type BPF_STRUCT_OPS, Linux 6.4):
// the link takes a map fd where other links take a program fd, so it has its
// own small entry point instead of a special case in linkCreate.
import { Attr } from "./attr.js";
import { Cmd, LinkCreateAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { attachError } from "./attach-errors.js";

/** enum bpf_attach_type BPF_STRUCT_OPS. */
const BPF_STRUCT_OPS = 44;

const attr = new Attr(LinkCreateAttr);

/**
 * Registers the struct_ops map (created with BPF_F_LINK, its value already
 * written) through a link; closing every fd and pin of the link unregisters it.
 */
export function structOpsLinkCreate(mapFd: FD): FD {
  const a = attr.zero();
  a.set("map_fd", mapFd.raw).set("attach_type", BPF_STRUCT_OPS);
  const r = bpfRaw(Cmd.LINK_CREATE, a.address, a.size);
  if (r < 0) throw attachError(-r, { operation: "BPF_LINK_CREATE", attachType: BPF_STRUCT_OPS, target: `${mapFd}`, attr: a });
  return new FD(r, "link fd");
}
