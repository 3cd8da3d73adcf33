// BPF_MAP_CREATE failures → typed errors that say what the kernel disliked.
// Messages describe the attr as it was sent, not the spec it came from: the
// loader adds flags (NUMA_NODE for a numaNode) and fields the spec leaves
// implicit, and those are what the kernel judged.
import * as E from "../sys/errno.js";
import type { Attr } from "../sys/attr.js";
import type { MapCreateAttr } from "../sys/layouts.js";
import { type BpfError, errorFromErrno, InvalidArgumentError, NotSupportedError } from "../sys/errors.js";
import { kernelOlderThan } from "./kernel-version.js";
import { describeSpec, type MapSpec } from "./spec.js";
import { isKeylessType, isKnownMapType, MapFlags, mapTypeName, mapTypeSince } from "./types.js";

type CreateAttr = Attr<keyof typeof MapCreateAttr.fields>;

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** "type hash, key 4, value 8, entries 16, flags 0x4, numa node 1 …": the attributes `attr` holds. */
export function describeCreateAttr(attr: CreateAttr): string {
  const flags = attr.get("map_flags");
  const parts = [
    `type ${mapTypeName(attr.get("map_type"))}`, `key ${attr.get("key_size")}`, `value ${attr.get("value_size")}`,
    `entries ${attr.get("max_entries")}`, `flags ${hex(flags)}`,
  ];
  if (flags & MapFlags.NUMA_NODE) parts.push(`numa node ${attr.get("numa_node")}`);
  const extra = attr.getBig("map_extra");
  if (extra !== 0n) parts.push(`map_extra ${hex(extra)}`);
  if (attr.get("inner_map_fd") !== 0) parts.push("an inner map template");
  if (attr.get("btf_fd") !== 0) parts.push(`BTF key type ${attr.get("btf_key_type_id")}, value type ${attr.get("btf_value_type_id")}`);
  if (attr.get("btf_vmlinux_value_type_id") !== 0) parts.push(`vmlinux value type ${attr.get("btf_vmlinux_value_type_id")}`);
  if (attr.get("map_ifindex") !== 0) parts.push(`ifindex ${attr.get("map_ifindex")}`);
  return parts.join(", ");
}

/** The typed error for a failed BPF_MAP_CREATE of `spec`, sent as `attr`. */
export function createError(errno: number, spec: MapSpec, attr: CreateAttr): BpfError {
  const what = describeSpec(spec);
  const sent = describeCreateAttr(attr);
  const d = { operation: "BPF_MAP_CREATE", errno };
  if (errno === E.EINVAL && !isKnownMapType(spec.type)) {
    return new NotSupportedError(`map type ${spec.type} (unknown to tsbpf, and rejected by the running kernel)`, undefined, d);
  }
  const since = mapTypeSince(spec.type);
  if (errno === E.EINVAL && since !== undefined && kernelOlderThan(since)) {
    return new NotSupportedError(`${mapTypeName(spec.type)} maps`, since, d);
  }
  if (errno === E.EINVAL) {
    const keyless = isKeylessType(spec.type) && spec.keySize !== 0 ? " (this type needs keySize 0)" : "";
    return new InvalidArgumentError(
      `BPF_MAP_CREATE (${what}): the kernel rejected ${sent}${keyless}; ` +
        "check sizes, flags and BTF ids for this map type, or the kernel may not support this map type",
      undefined,
      d,
    );
  }
  if (errno === E.ENOTSUPP || errno === E.EOPNOTSUPP) return new NotSupportedError(`${what} (${sent})`, undefined, d);
  return errorFromErrno(errno, "BPF_MAP_CREATE", `${what}; sent ${sent}`, attr);
}
