// bpftool's renderings of maps: `map show` (plain and JSON) and the
// key/value entries of `map dump|lookup|peek|pop` (plain and JSON,
// including per-CPU values).
import { mapTypeName } from "../map/types.js";
import { possibleCpuCount } from "../sys/cpus.js";
import { splitPerCpu } from "../map/percpu.js";
import { formatHex, jsonHex } from "./output.js";
import type { MapShowInfo } from "./kernel-info.js";
import { programTypeName } from "../features/names.js";
import { isMapInMapType } from "../map/types.js";
import { JsonEmitter } from "./json-writer.js";
import { pidsJson, pidsPlain, type ObjectRef } from "./pids.js";
import { writeFormattedEntry, type MapBtf } from "./map-btf.js";

/**
 * `map show` as a JSON object, fields in bpftool's order; `refs` lists the
 * processes holding it, `pinned` its bpffs paths (-f; undefined: no member).
 */
export function mapShowJson(m: MapShowInfo, refs: readonly ObjectRef[] = [], pinned?: readonly string[]): Record<string, unknown> {
  const o: Record<string, unknown> = { id: m.id, type: mapTypeName(m.type) };
  if (m.name) o.name = m.name;
  o.flags = m.flags;
  if (m.ifindex) o.ifindex = m.ifindex;
  o.bytes_key = m.keySize;
  o.bytes_value = m.valueSize;
  o.max_entries = m.maxEntries;
  if (m.memlock !== undefined) o.bytes_memlock = m.memlock;
  if (m.ownerProgType !== undefined) o.owner_prog_type = programTypeName(m.ownerProgType);
  if (m.ownerJited !== undefined) o.owner_jited = m.ownerJited !== 0;
  if (m.frozen !== undefined) o.frozen = m.frozen;
  if (m.btfId) o.btf_id = m.btfId;
  if (pinned) o.pinned = [...pinned];
  if (refs.length) o.pids = pidsJson(refs);
  return o;
}

/** `map show` as bpftool's two or three lines of plain text. */
export function mapShowPlain(m: MapShowInfo, refs: readonly ObjectRef[] = [], pinned?: readonly string[]): string {
  let s = `${m.id}: ${mapTypeName(m.type)}  `;
  if (m.name) s += `name ${m.name}  `;
  s += `flags 0x${m.flags.toString(16)}`;
  if (m.ifindex) s += `  ifindex ${m.ifindex}`;
  s += `\n\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}`;
  if (m.memlock !== undefined) s += `  memlock ${m.memlock}B`;
  if (m.ownerProgType !== undefined) {
    s += `\n\towner_prog_type ${programTypeName(m.ownerProgType)}  owner${m.ownerJited ? "" : " not"} jited`;
  }
  for (const path of pinned ?? []) s += `\n\tpinned ${path}`;
  if (m.btfId || m.frozen) {
    s += "\n\t";
    if (m.btfId) s += `btf_id ${m.btfId}`;
    if (m.frozen) s += `${m.btfId ? "  " : ""}frozen`;
  }
  return s + pidsPlain(refs);
}

/** Splits a kernel per-CPU value buffer into one value per possible CPU. */
export function perCpuValues(buffer: Uint8Array, valueSize: number): Uint8Array[] {
  return splitPerCpu(buffer, valueSize, Math.ceil(valueSize / 8) * 8, possibleCpuCount());
}

/**
 * One entry as bpftool's JSON: {"key":[…],"value":[…]} or
 * {"key":[…],"values":[{"cpu":0,"value":[…]},…]}, plus "inner_map_id" for
 * map-in-map values and "formatted" when the map has BTF.
 */
export function entryJson(key: Uint8Array, value: Uint8Array, m: MapShowInfo, perCpu: boolean, btf?: MapBtf): Record<string, unknown> {
  const o: Record<string, unknown> = { key: jsonHex(key) };
  if (perCpu) {
    o.values = perCpuValues(value, m.valueSize).map((v, cpu) => ({ cpu, value: jsonHex(v) }));
  } else {
    o.value = jsonHex(value.subarray(0, m.valueSize));
    if (isMapInMapType(m.type)) o.inner_map_id = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0, true);
  }
  if (btf) o.formatted = new JsonEmitter((w) => writeFormattedEntry(w, btf, m, perCpu, key, value, false));
  return o;
}

/** One entry as bpftool's plain text (no trailing newline). */
export function entryPlain(key: Uint8Array, value: Uint8Array, m: MapShowInfo, perCpu: boolean): string {
  if (perCpu) {
    const lines = ["key:", formatHex(key)];
    perCpuValues(value, m.valueSize).forEach((v, cpu) => {
      lines.push(`value (CPU ${String(cpu).padStart(2, "0")}):${m.valueSize > 16 ? "\n" : " "}${formatHex(v)}`);
    });
    return lines.join("\n");
  }
  // Same line-breaking rules as bpftool: long keys/values go on their own lines.
  const breakNames = m.keySize > 16 || m.valueSize > 16;
  const singleLine = m.keySize + m.valueSize <= 24 && !breakNames;
  let s = "";
  if (m.keySize) s += `key:${breakNames ? "\n" : " "}${formatHex(key)}${singleLine ? "  " : "\n"}`;
  if (m.valueSize) s += `value:${breakNames ? "\n" : " "}${formatHex(value.subarray(0, m.valueSize))}`;
  return s.replace(/\n$/, "");
}

/**
 * An entry whose value could not be read, as bpftool prints it in plain
 * mode: the key, then the error text in place of the value.
 */
export function entryErrorPlain(key: Uint8Array, m: MapShowInfo, message: string): string {
  const breakNames = m.keySize > 16 || message.length > 16;
  const singleLine = m.keySize + message.length <= 24 && !breakNames;
  return `key:${breakNames ? "\n" : " "}${formatHex(key)}${singleLine ? "  " : "\n"}value:${breakNames ? "\n" : " "}${message}`;
}

/** The JSON form of an unreadable entry: {"key":[…],"value":{"error":"…"}}. */
export function entryErrorJson(key: Uint8Array, message: string): Record<string, unknown> {
  return { key: jsonHex(key), value: { error: message } };
}

/** bpftool's dump trailer. */
export function foundTrailer(n: number): string {
  return `Found ${n} element${n === 1 ? "" : "s"}`;
}
