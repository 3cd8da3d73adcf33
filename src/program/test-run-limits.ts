// BPF_PROG_TEST_RUN's limits, shared by the kernel's test run and the
// user-space machine's (which must not import the native boundary), so both
// size outputs alike and refuse the same counts with the same message.
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";

/**
 * Room for packet growth when tsbpf sizes the data-out buffer itself: XDP
 * frames live in one page (headroom + tailroom) and skb test runs rarely grow
 * by more; programs that grow packets further pass `dataOutSize`.
 */
export const DEFAULT_DATA_OUT_SLACK = 4096;

/** `value` when it is an integer in [0, 2^32-1] (a u32 field of the test-run attr); else InvalidArgumentError naming `field`. */
export function checkCount(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidArgumentError(`test run: ${field} must be an integer between 0 and 2^32-1, got ${describeValue(value)}`, field);
  }
  return value;
}
