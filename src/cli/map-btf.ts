// BTF-formatted map entries, as bpftool prints them for maps created with
// BTF: {"key": …, "value": …} objects (pretty JSON in plain mode, the
// "formatted" member in -j mode).
import { Btf } from "../btf/btf.js";
import { readBtfById } from "../sys/prog-info.js";
import { possibleCpuCount } from "../sys/cpus.js";
import { formatBtfValue } from "./btf-format.js";
import type { JsonWriter } from "./json-writer.js";
import type { MapShowInfo } from "./kernel-info.js";

/** A map's BTF and the type ids of its key and value. */
export interface MapBtf {
  readonly btf: Btf;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/**
 * The BTF to format a map's entries with, or undefined when the map has no
 * value type (bpftool then prints hex). struct_ops maps (value type in the
 * kernel's BTF) are printed as hex by tsbpf for now.
 */
export function loadMapBtf(info: MapShowInfo): MapBtf | undefined {
  if (!info.btfId || !info.btfValueTypeId || info.btfVmlinuxValueTypeId) return undefined;
  try {
    return { btf: new Btf(readBtfById(info.btfId)), keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId };
  } catch {
    return undefined; // unreadable or unparsable BTF: fall back to hex
  }
}

/** bpftool's do_dump_btf: {"key": …, "value": …} or {"key": …, "values": [{"cpu": n, "value": …}]}. */
export function writeFormattedEntry(
  w: JsonWriter, mb: MapBtf, info: MapShowInfo, perCpu: boolean, key: Uint8Array, value: Uint8Array, plainText: boolean,
): void {
  w.startObject();
  if (mb.keyTypeId) {
    w.name("key");
    formatBtfValue(w, mb.btf, mb.keyTypeId, key, plainText);
  }
  if (!perCpu) {
    w.name("value");
    formatBtfValue(w, mb.btf, mb.valueTypeId, value, plainText);
  } else {
    const step = Math.ceil(info.valueSize / 8) * 8;
    w.name("values");
    w.startArray();
    for (let cpu = 0; cpu < possibleCpuCount(); cpu++) {
      w.startObject();
      w.name("cpu");
      w.raw(String(cpu));
      w.name("value");
      formatBtfValue(w, mb.btf, mb.valueTypeId, value.subarray(cpu * step, cpu * step + info.valueSize), plainText);
      w.endObject();
    }
    w.endArray();
  }
  w.endObject();
}
