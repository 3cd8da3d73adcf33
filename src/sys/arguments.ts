// Checks of caller values at the public API, before any syscall: a wrong type
// or range becomes an InvalidArgumentError naming the argument, instead of a
// TypeError from deep inside or a value silently truncated into an attr field
// (NaN flags would reach the kernel as 0, -1 as all ones).
import { InvalidArgumentError } from "./errors.js";

/** The largest file descriptor number (fds are C ints). */
export const MAX_FD = 0x7fff_ffff;
const MAX_U32 = 0xffff_ffff;

/** A short description of a value for messages: "null", "string \"x\"", "NaN", "an object (Map)". */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return `string ${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)}`;
    case "number":
    case "boolean":
    case "undefined":
      return String(v);
    case "bigint":
      return `${v}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default: {
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      return `an object${typeof name === "string" && name ? ` (${name})` : ""}`;
    }
  }
}

/** A flags argument: an integer in 0..max (default: a u32 field); returns it. */
export function checkFlags(flags: unknown, what: string, field = "flags", max = MAX_U32): number {
  if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0 || flags > max) {
    throw new InvalidArgumentError(`${what}: ${field} must be an integer in 0..${max === MAX_U32 ? "2^32-1" : max} (got ${describeValue(flags)})`, field);
  }
  return flags;
}

/** A kernel object id: an integer in 1..2^32-1. */
export function checkObjectId(id: unknown, what: string): void {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > MAX_U32) {
    throw new InvalidArgumentError(`${what}: an id must be an integer in 1..2^32-1 (got ${describeValue(id)})`, "id");
  }
}

/** An access mode of a pin or id opened read-only or write-only. */
export function checkAccessMode(mode: unknown, what: string): void {
  if (mode !== undefined && mode !== "rw" && mode !== "read-only" && mode !== "write-only") {
    throw new InvalidArgumentError(`${what}: mode must be "rw", "read-only" or "write-only" (got ${describeValue(mode)})`, "mode");
  }
}

/** An options argument: undefined or null mean none (`{}`); anything but an object is an InvalidArgumentError. */
export function optionsArgument<T extends object>(options: T | undefined | null, what: string): T | Record<string, never> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") throw new InvalidArgumentError(`${what}: options must be an object (got ${describeValue(options)})`, "options");
  const signal = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${what}: signal must be an AbortSignal (got ${describeValue(signal)})`, "signal");
  }
  return options;
}

/** A callback argument: anything but a function is an InvalidArgumentError naming `field`. */
export function checkFunction(fn: unknown, field: string, what: string): void {
  if (typeof fn !== "function") throw new InvalidArgumentError(`${what}: ${field} must be a function (got ${describeValue(fn)})`, field);
}

/** An argument that must be an instance of `cls` (a Map, an FD, an ObjectSpec …). */
export function checkInstance(v: unknown, cls: { readonly name: string; [Symbol.hasInstance](value: unknown): boolean }, field: string, what: string): void {
  if (!(v instanceof cls)) throw new InvalidArgumentError(`${what}: ${field} must be a ${cls.name} (got ${describeValue(v)})`, field);
}
