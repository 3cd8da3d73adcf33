// libbpf's struct __bpf_usdt_spec (<bpf/usdt.bpf.h>), the value of the
// __bpf_usdt_specs map that bpf_usdt_arg() reads: twelve 16-byte
// struct __bpf_usdt_arg_spec { u64 val_off; enum arg_type (u32); short
// reg_off; bool arg_signed; char arg_bitshift; }, then u64 usdt_cookie and
// short arg_cnt — 208 bytes, in the host's byte order (the program reads it).
import { endianness } from "node:os";
import type { UsdtArgument } from "./arguments.js";
import { USDT_MAX_ARGS } from "./arguments.js";

/** enum __bpf_usdt_arg_type. */
export const UsdtArgType = { CONST: 0, REG: 1, REG_DEREF: 2 } as const;

const ARG_SPEC_SIZE = 16;
const COOKIE_AT = ARG_SPEC_SIZE * USDT_MAX_ARGS;
const ARG_COUNT_AT = COOKIE_AT + 8;
/** sizeof(struct __bpf_usdt_spec). */
export const USDT_SPEC_SIZE = ARG_COUNT_AT + 8;

/** The bytes of struct __bpf_usdt_spec for `args` with the user's `cookie` (bpf_usdt_cookie()). */
export function encodeUsdtSpec(args: readonly UsdtArgument[], cookie: bigint): Uint8Array {
  const bytes = new Uint8Array(USDT_SPEC_SIZE);
  const v = new DataView(bytes.buffer);
  const le = endianness() === "LE";
  args.forEach((arg, i) => {
    const o = i * ARG_SPEC_SIZE;
    const loc = arg.location;
    const valOff = loc.kind === "const" ? loc.value : loc.kind === "deref" ? loc.offset : 0n;
    v.setBigUint64(o, BigInt.asUintN(64, valOff), le);
    v.setUint32(o + 8, loc.kind === "const" ? UsdtArgType.CONST : loc.kind === "reg" ? UsdtArgType.REG : UsdtArgType.REG_DEREF, le);
    v.setInt16(o + 12, loc.kind === "const" ? 0 : loc.regOffset, le);
    v.setUint8(o + 14, arg.signed ? 1 : 0);
    // Bits to clear (and sign-extend from) to turn a 1-, 2- or 4-byte value into 64 bits.
    v.setInt8(o + 15, 64 - arg.size * 8);
  });
  v.setBigUint64(COOKIE_AT, BigInt.asUintN(64, cookie), le);
  v.setInt16(ARG_COUNT_AT, args.length, le);
  return bytes;
}
