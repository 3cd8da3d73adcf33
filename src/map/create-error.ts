// BPF_MAP_CREATE failures → typed errors that say what the kernel disliked.
import * as E from "../sys/errno.js";
import { type BpfError, errorFromErrno, InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { kernelOlderThan } from "./kernel-version.js";
import { describeSpec, type MapSpec } from "./spec.js";
import { isKeylessType, isKnownMapType, mapTypeName, mapTypeSince } from "./types.js";

/** The typed error for a failed BPF_MAP_CREATE. */
export function createError(errno: number, spec: MapSpec): BpfError {
  const what = describeSpec(spec);
  const d = { operation: "BPF_MAP_CREATE", errno };
  if (errno === E.EINVAL && !isKnownMapType(spec.type)) {
    return new NotSupportedError(`map type ${spec.type} (unknown to tsbpf, and rejected by the running kernel)`, undefined, d);
  }
  const since = mapTypeSince(spec.type);
  if (errno === E.EINVAL && since !== undefined && kernelOlderThan(since)) {
    return new NotSupportedError(`${mapTypeName(spec.type)} maps`, since, d);
  }
  if (errno === E.EINVAL) {
    const shape = `type ${mapTypeName(spec.type)}, key ${spec.keySize}, value ${spec.valueSize}, entries ${spec.maxEntries}, flags 0x${(spec.flags ?? 0).toString(16)}`;
    const keyless = isKeylessType(spec.type) && spec.keySize !== 0 ? " (this type needs keySize 0)" : "";
    return new InvalidArgumentError(
      `BPF_MAP_CREATE (${what}): the kernel rejected ${shape}${keyless}; ` +
        "check sizes, flags and BTF ids for this map type, or the kernel may not support this map type",
      undefined,
      d,
    );
  }
  if (errno === E.ENOTSUPP || errno === E.EOPNOTSUPP) return new NotSupportedError(`${what}`, undefined, d);
  return errorFromErrno(errno, "BPF_MAP_CREATE", what);
}
