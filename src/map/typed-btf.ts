// Where a typed map's key and value types come from: the caller's options,
// else what its creator knew (a collection passes the object's BTF and the
// ObjectMapSpec's type ids, which the kernel never saw for queue/stack maps),
// else the kernel (map info's btf_id and key/value type ids, the BTF object
// read by id). One place decides, so every path names the same fix when a map
// carries no types at all.
import type { Btf } from "../btf/btf.js";
import { BtfCodec, type CodecOptions } from "../btf/codec/index.js";
import { readKernelBtfById } from "../btf/kernel.js";
import { InvalidArgumentError } from "../sys/errors.js";
import type { BpfMap } from "../map.js";
import { describeMap } from "./errors.js";
import { MapType } from "./types.js";

/** Options of `BpfMap.typed` and `Collection.typedMap`: which BTF types decode the keys and values. */
export interface TypedMapOptions extends CodecOptions {
  /** BTF to decode with (default: the map's own: the collection's object BTF, or the kernel's by the map's btf_id). */
  readonly btf?: Btf;
  /** The key type: a BTF id of `btf` or a name ("struct flow_key", "__u32"); default: the map's btf_key_type_id. */
  readonly keyType?: number | string;
  /** The value type: a BTF id of `btf` or a name; default: the map's btf_value_type_id. */
  readonly valueType?: number | string;
}

/** The key/value types a map's creator knew (a collection: the object's BTF and the map spec's ids). */
export interface MapTypeSource {
  readonly btf: Btf;
  /** 0 or undefined: none. */
  readonly keyTypeId?: number | undefined;
  readonly valueTypeId?: number | undefined;
}

/** The codecs of one map's keys (undefined for key-less maps: queue, stack, bloom filter) and values. */
export interface MapCodecs<K, V> {
  readonly key: BtfCodec<K> | undefined;
  readonly value: BtfCodec<V>;
}

function noTypes(map: BpfMap, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${describeMap(map)} ${why}: pass the types to decode with, e.g. map.typed({ btf, keyType: "struct key", valueType: "struct value" })`,
    "valueType",
  );
}

/** The BTF fields of a map's info (BPF_OBJ_GET_INFO_BY_FD). */
export interface MapBtfInfo {
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
}

/**
 * A map's own types as the kernel knows them: its BTF object (read by id)
 * and the key/value type ids; undefined when it was created without BTF.
 * Throws when the BTF object cannot be read or parsed.
 */
export function kernelMapTypes(info: MapBtfInfo): MapTypeSource | undefined {
  if (info.btfId === 0) return undefined;
  return { btf: readKernelBtfById(info.btfId).btf, keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId };
}

function kernelSource(map: BpfMap): MapTypeSource | undefined {
  return kernelMapTypes(map.info());
}

function codecOf<T>(map: BpfMap, btf: Btf, type: number | string, field: "key" | "value", size: number, options: CodecOptions): BtfCodec<T> {
  const codec = BtfCodec.of<T>(btf, type, options);
  if (codec.size !== size) {
    throw new InvalidArgumentError(`${describeMap(map)}: ${field} type ${codec.name} is ${codec.size} bytes, the map's ${field} size is ${size}`, field === "key" ? "keyType" : "valueType");
  }
  return codec;
}

/**
 * The key and value codecs of `map`: each type from `options`, else from
 * `source` (given by the map's creator), else from the kernel's map info.
 * A map with no types anywhere is an InvalidArgumentError saying what to pass.
 */
export function mapCodecs<K, V>(map: BpfMap, options: TypedMapOptions, source?: MapTypeSource): MapCodecs<K, V> {
  if (map.type === MapType.Ringbuf || map.type === MapType.PerfEventArray) {
    const reader = map.type === MapType.Ringbuf ? "TypedRingBuffer (collection.ringBuffer" : "TypedPerfBuffer (collection.perfBuffer";
    throw new InvalidArgumentError(`${describeMap(map)} holds events, not elements: read its records with ${reader}(name, { type: "struct event" }))`, "map");
  }
  const { btf: givenBtf, keyType: givenKey, valueType: givenValue, ...codecOptions } = options;
  const keyless = map.keySize === 0;
  const complete = givenBtf !== undefined && givenValue !== undefined && (keyless || givenKey !== undefined);
  let own = source;
  if (!complete && own === undefined) {
    own = kernelSource(map);
    if (own === undefined && givenBtf === undefined) throw noTypes(map, "was created without BTF, so it has no key/value types");
  }
  const btf = givenBtf ?? own!.btf;
  const keyType = givenKey ?? (own?.keyTypeId || undefined);
  const valueType = givenValue ?? (own?.valueTypeId || undefined);
  if (valueType === undefined) throw noTypes(map, "has no BTF value type");
  if (typeof valueType === "number" && btf.kindOf(valueType) === "DATASEC") {
    throw new InvalidArgumentError(`${describeMap(map)} holds global variables: read and write them with collection.variable(name).read()/write()`, "map");
  }
  if (!keyless && keyType === undefined) throw noTypes(map, "has no BTF key type");
  return {
    key: keyless ? undefined : codecOf<K>(map, btf, keyType!, "key", map.keySize, codecOptions),
    value: codecOf<V>(map, btf, valueType, "value", map.valueSize, codecOptions),
  };
}
