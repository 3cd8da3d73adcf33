// A packet being processed (XDP frame or sk_buff data): one buffer with room
// before and after the data, as the kernel's frame has, mapped as the
// machine's low region so its addresses fit the u32 fields of xdp_md and
// __sk_buff. The region spans [meta, end) exactly: a read past data_end
// faults, as the verifier would have refused it. Helpers that move the
// bounds (bpf_xdp_adjust_head/tail/meta, bpf_skb_change_tail …) call
// setBounds, which remaps the region and rewrites the context's fields.
import type { AddressSpace, Region } from "../memory.js";

/** Bytes of an Ethernet header (ETH_HLEN): the least a test run takes, and the least a packet keeps. */
export const ETH_HLEN = 14;

/** Address of the frame's first byte in the machine (window 0, above the null page). */
export const PACKET_ADDRESS = 0x1000_0000;

/** Whether the packet belongs to an XDP program or an skb program. */
export type PacketKind = "xdp" | "skb";

/** The current packet of a run. */
export class VmPacket {
  /** Offsets in `frame`: metadata start, data start, data end. meta === data when there is no metadata. */
  meta: number;
  data: number;
  end: number;
  #region: Region;

  /**
   * @param frame the whole buffer (headroom + data + tailroom)
   * @param publish writes data/data_end/data_meta addresses into the context after a change
   */
  constructor(
    readonly kind: PacketKind,
    readonly memory: AddressSpace,
    readonly frame: Uint8Array,
    bounds: { meta: number; data: number; end: number },
    private readonly publish: (packet: VmPacket) => void,
  ) {
    this.meta = bounds.meta;
    this.data = bounds.data;
    this.end = bounds.end;
    this.#region = this.remap();
    publish(this);
  }

  /** Address of frame offset `offset`. */
  address(offset: number): number {
    return PACKET_ADDRESS + offset;
  }

  /** The data bytes [data, end) (a view). */
  get bytes(): Uint8Array {
    return this.frame.subarray(this.data, this.end);
  }

  /** The region the program sees. */
  get region(): Region {
    return this.#region;
  }

  /** Moves the bounds (offsets in `frame`, meta ≤ data ≤ end ≤ frame length), remaps and republishes. */
  setBounds(meta: number, data: number, end: number): void {
    if (!(0 <= meta && meta <= data && data <= end && end <= this.frame.byteLength)) {
      throw new RangeError(`packet bounds ${meta}/${data}/${end} do not fit a ${this.frame.byteLength}-byte frame`);
    }
    this.meta = meta;
    this.data = data;
    this.end = end;
    this.#region = this.remap();
    this.publish(this);
  }

  private remap(): Region {
    return this.memory.mapLow("packet", this.frame.subarray(this.meta, this.end), this.address(this.meta));
  }
}
