// The packet a packet helper works on: kernel.packet, which the runner sets
// for XDP and skb programs. A packet helper in a run without one (or an XDP
// helper on an skb) is a program the verifier would refuse for its type.
import type { HelperContext } from "../helpers.js";
import type { PacketKind, VmPacket } from "../context/packet.js";
import { badArgument } from "./errors.js";
import type { VmKernel } from "./state.js";

/** kernel.packet, checked to be of `kind` when given. */
export function packetArgument(kernel: VmKernel, ctx: HelperContext, helper: string, context: bigint, kind?: PacketKind): VmPacket {
  const packet = kernel.packet;
  if (packet === undefined) throw badArgument(ctx, helper, 1, context, "is a context without a packet (set kernel.packet for XDP and skb programs)");
  if (kind !== undefined && packet.kind !== kind) throw badArgument(ctx, helper, 1, context, `is an ${packet.kind} context; ${helper} takes an ${kind} one`);
  return packet;
}
