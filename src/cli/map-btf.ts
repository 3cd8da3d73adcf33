// BTF-formatted map entries, as bpftool prints them for maps created with
// BTF: {"key": …, "value": …} objects (pretty JSON in plain mode, the
// "formatted" member in -j mode).
import type { Btf } from "../btf/btf.js";
import { kernelMapTypes } from "../map/typed-btf.js";
import { possibleCpuCount } from "../sys/cpus.js";
import { splitPerCpu } from "../map/percpu.js";
import { writeBtfValue } from "../btf/format-value.js";
import type { JsonWriter } from "../btf/json-writer.js";
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
    const types = kernelMapTypes(info);
    return types && { btf: types.btf, keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId };
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
    writeBtfValue(w, mb.btf, mb.keyTypeId, key, { plain: plainText, markers: true });
  }
  if (!perCpu) {
    w.name("value");
    writeBtfValue(w, mb.btf, mb.valueTypeId, value, { plain: plainText, markers: true });
  } else {
    w.name("values");
    w.startArray();
    splitPerCpu(value, info.valueSize, Math.ceil(info.valueSize / 8) * 8, possibleCpuCount()).forEach((one, cpu) => {
      w.startObject();
      w.name("cpu");
      w.raw(String(cpu));
      w.name("value");
      writeBtfValue(w, mb.btf, mb.valueTypeId, one, { plain: plainText, markers: true });
      w.endObject();
    });
    w.endArray();
  }
  w.endObject();
}
