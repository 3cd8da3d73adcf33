// Netlink messages as bytes: building a request (nlmsghdr, the family's
// fixed header, attributes, nested attributes) and splitting a reply into
// messages and attributes. Pure: no syscalls, so malformed input can only
// produce a NetlinkParseError, never a hang or a RangeError.
import { InvalidArgumentError, SyscallError } from "../errors.js";

/** struct nlmsghdr is 16 bytes; messages and attributes are 4-byte aligned. */
export const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;
/** NLA_F_NESTED: set on attributes that contain attributes. */
const NLA_F_NESTED = 1 << 15;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | (1 << 14)) & 0xffff;

/** Netlink headers and numbers are in host byte order (big-endian on s390x and ppc64). */
export const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const align4 = (n: number): number => (n + 3) & ~3;

/** A reply the kernel sent that does not parse as netlink (truncated, lengths out of range). */
export class NetlinkParseError extends SyscallError {
  constructor(message: string) {
    super(`netlink: malformed reply: ${message}`, { operation: "netlink" });
  }
}

/** One message of a reply. `payload` views the receive buffer: copy what must outlive the next request. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  portId: number;
  payload: Uint8Array;
}

/** Builds one request message; attributes are appended in order, nests with nest()/end(). */
export class MessageBuilder {
  #bytes = new Uint8Array(256);
  #length = NLMSG_HDRLEN;
  readonly #nests: number[] = [];

  constructor(type: number, flags: number) {
    const v = this.#view();
    v.setUint16(4, type, HOST_LE);
    v.setUint16(6, flags, HOST_LE);
  }

  #view(): DataView {
    return new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
  }

  #reserve(n: number): number {
    const at = this.#length;
    const need = at + align4(n);
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2));
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#length = need;
    return at;
  }

  /** Appends the family's fixed header (ifinfomsg, tcmsg …), already encoded. */
  header(bytes: Uint8Array): this {
    this.#bytes.set(bytes, this.#reserve(bytes.length));
    return this;
  }

  /** Appends an attribute with raw data. */
  attr(type: number, data: Uint8Array): this {
    if (data.length > 0xffff - NLA_HDRLEN) throw new InvalidArgumentError(`netlink attribute ${type} is too long (${data.length} bytes)`, "data");
    const at = this.#reserve(NLA_HDRLEN + data.length);
    const v = this.#view();
    v.setUint16(at, NLA_HDRLEN + data.length, HOST_LE);
    v.setUint16(at + 2, type, HOST_LE);
    this.#bytes.set(data, at + NLA_HDRLEN);
    return this;
  }

  /** Appends a u8 attribute. */
  u8(type: number, value: number): this {
    return this.attr(type, Uint8Array.of(value));
  }

  /** Appends a u32 attribute (host order). */
  u32(type: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, HOST_LE);
    return this.attr(type, b);
  }

  /** Appends an s32 attribute (host order). */
  s32(type: number, value: number): this {
    return this.u32(type, value | 0);
  }

  /** A NUL-terminated string attribute. */
  string(type: number, value: string): this {
    const text = new TextEncoder().encode(value);
    const b = new Uint8Array(text.length + 1);
    b.set(text);
    return this.attr(type, b);
  }

  /** Opens a nested attribute; close it with end(). */
  nest(type: number): this {
    const at = this.#reserve(NLA_HDRLEN);
    this.#view().setUint16(at + 2, type | NLA_F_NESTED, HOST_LE);
    this.#nests.push(at);
    return this;
  }

  /** Closes the innermost nested attribute opened by `nest()`, fixing its length. */
  end(): this {
    const at = this.#nests.pop();
    if (at === undefined) throw new InvalidArgumentError("netlink: end() without nest()", "nest");
    this.#view().setUint16(at, this.#length - at, HOST_LE);
    return this;
  }

  /** The finished message with its length, sequence number and port id filled in. */
  finish(seq: number, portId = 0): Uint8Array {
    if (this.#nests.length) throw new InvalidArgumentError("netlink: a nested attribute was not closed", "nest");
    const v = this.#view();
    v.setUint32(0, this.#length, HOST_LE);
    v.setUint32(8, seq >>> 0, HOST_LE);
    v.setUint32(12, portId >>> 0, HOST_LE);
    return this.#bytes.slice(0, this.#length);
  }
}

/** Splits a datagram into its messages. */
export function parseMessages(bytes: Uint8Array): NetlinkMessage[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= bytes.length) {
    const len = v.getUint32(at, HOST_LE);
    if (len < NLMSG_HDRLEN || at + len > bytes.length) {
      throw new NetlinkParseError(`message at byte ${at} claims ${len} bytes, ${bytes.length - at} are left`);
    }
    out.push({
      type: v.getUint16(at + 4, HOST_LE),
      flags: v.getUint16(at + 6, HOST_LE),
      seq: v.getUint32(at + 8, HOST_LE),
      portId: v.getUint32(at + 12, HOST_LE),
      payload: bytes.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** Attributes by type (the last one wins when a type repeats; nested flag stripped). */
export type Attributes = ReadonlyMap<number, Uint8Array>;

/** Attributes in `bytes` (after the family header), in order, each with its type and data. */
export function attributeList(bytes: Uint8Array): Array<{ type: number; data: Uint8Array }> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<{ type: number; data: Uint8Array }> = [];
  let at = 0;
  while (at + NLA_HDRLEN <= bytes.length) {
    const len = v.getUint16(at, HOST_LE);
    if (len < NLA_HDRLEN || at + len > bytes.length) {
      throw new NetlinkParseError(`attribute at byte ${at} claims ${len} bytes, ${bytes.length - at} are left`);
    }
    out.push({ type: v.getUint16(at + 2, HOST_LE) & NLA_TYPE_MASK, data: bytes.subarray(at + NLA_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/** Attributes in `bytes` by type. */
export function parseAttributes(bytes: Uint8Array): Attributes {
  return new Map(attributeList(bytes).map((a) => [a.type, a.data]));
}

/** A u32 attribute's value (host order), or undefined when absent or short. */
export function attrU32(attrs: Attributes, type: number): number | undefined {
  const d = attrs.get(type);
  return d === undefined || d.length < 4 ? undefined : new DataView(d.buffer, d.byteOffset, 4).getUint32(0, HOST_LE);
}

/** The u8 value of attribute `type`, or undefined when absent. */
export function attrU8(attrs: Attributes, type: number): number | undefined {
  const d = attrs.get(type);
  return d === undefined || d.length < 1 ? undefined : d[0];
}

/** A string attribute up to its NUL. */
export function attrString(attrs: Attributes, type: number): string | undefined {
  const d = attrs.get(type);
  if (d === undefined) return undefined;
  const end = d.indexOf(0);
  return new TextDecoder().decode(end < 0 ? d : d.subarray(0, end));
}

/** Nested attributes of `type`, or undefined. */
export function attrNested(attrs: Attributes, type: number): Attributes | undefined {
  const d = attrs.get(type);
  return d === undefined ? undefined : parseAttributes(d);
}
