// The batch operations of TypedMap: values encoded into (and decoded straight
// out of) the packed key/value buffers the BPF_MAP_*_BATCH commands take. Map
// types the kernel has no batch command for (queues, some special maps) or
// kernels before 5.6 get the same result one element at a time, so callers
// need not know which maps batch.
import { InvalidArgumentError, NoSpaceError, NotSupportedError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";
import type { BatchOptions } from "./batch.js";
import { describeMap } from "./errors.js";
import type { TypedMap } from "./typed.js";

/** Options of TypedMap.entriesBatch. */
export interface TypedBatchReadOptions {
  /** Elements per syscall (doubled automatically when a hash bucket does not fit); default 256. */
  readonly batchSize?: number;
}

/** Options of TypedMap.updateBatch and deleteBatch: the kernel's elem_flags (UpdateFlags.ANY/NOEXIST/EXIST/F_LOCK). */
export interface TypedBatchOptions {
  /** elem_flags of every element (updateBatch: UpdateFlags; default ANY). */
  readonly elemFlags?: number;
}

function batchSizeOf<K, V, R>(typed: TypedMap<K, V, R>, options: TypedBatchReadOptions): number {
  const size = options.batchSize ?? 256;
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidArgumentError(`${describeMap(typed.map)}: batchSize must be a positive integer (got ${describeValue(size)})`, "batchSize");
  }
  return size;
}

/** Every [key, value] of the map through BPF_MAP_LOOKUP_BATCH, decoded from the batch buffers; entries() where unsupported. */
export function* batchEntries<K, V, R>(typed: TypedMap<K, V, R>, options: TypedBatchReadOptions): Generator<[K, R], void, undefined> {
  const map = typed.map;
  let size = batchSizeOf(typed, options);
  const { keySize, valueBufferSize } = map;
  let keys = new Uint8Array(size * keySize);
  let values = new Uint8Array(size * valueBufferSize);
  const cursor = map.batchCursor();
  while (!cursor.done) {
    let n: number;
    try {
      n = map.lookupBatch(cursor, keys, values);
    } catch (e) {
      if (e instanceof NotSupportedError && !cursor.started) {
        yield* typed.entries();
        return;
      }
      if (!(e instanceof NoSpaceError) || size >= map.maxEntries) throw e;
      size *= 2;
      keys = new Uint8Array(size * keySize);
      values = new Uint8Array(size * valueBufferSize);
      continue;
    }
    // Decoded before the next batch overwrites the buffers (a caller may pause between elements).
    const decoded: [K, R][] = new Array<[K, R]>(n);
    const view = new DataView(values.buffer);
    for (let i = 0; i < n; i++) decoded[i] = [typed.decodeKey(keys, i * keySize), typed.decodeValue(view, i * valueBufferSize)];
    yield* decoded;
  }
}

function flagsOf(options: TypedBatchOptions): BatchOptions {
  return options.elemFlags === undefined ? {} : { elemFlags: options.elemFlags };
}

/** BPF_MAP_UPDATE_BATCH of every entry (each encoded first); one update per element where unsupported. */
export function updateBatch<K, V, R>(typed: TypedMap<K, V, R>, entries: Iterable<readonly [K, R]>, options: TypedBatchOptions): number {
  const map = typed.map;
  const list = [...entries];
  if (list.length === 0) return 0;
  const { keySize, valueBufferSize } = map;
  const keys = new Uint8Array(list.length * keySize);
  const values = new Uint8Array(list.length * valueBufferSize);
  list.forEach(([k, v], i) => {
    keys.set(typed.encodeKey(k), i * keySize);
    typed.encodeValueInto(v, values, i * valueBufferSize);
  });
  try {
    return map.updateBatch(keys, values, flagsOf(options));
  } catch (e) {
    if (!(e instanceof NotSupportedError)) throw e;
  }
  for (let i = 0; i < list.length; i++) {
    map.update(keys.subarray(i * keySize, (i + 1) * keySize), values.subarray(i * valueBufferSize, (i + 1) * valueBufferSize), options.elemFlags);
  }
  return list.length;
}

/** BPF_MAP_DELETE_BATCH of every key; one delete per key where unsupported. */
export function deleteBatch<K, V, R>(typed: TypedMap<K, V, R>, keysIn: Iterable<K>, options: TypedBatchOptions): number {
  const map = typed.map;
  const list = [...keysIn];
  if (list.length === 0) return 0;
  const keySize = map.keySize;
  const keys = new Uint8Array(list.length * keySize);
  list.forEach((k, i) => keys.set(typed.encodeKey(k), i * keySize));
  try {
    return map.deleteBatch(keys, flagsOf(options));
  } catch (e) {
    if (!(e instanceof NotSupportedError)) throw e;
  }
  for (let i = 0; i < list.length; i++) map.delete(keys.subarray(i * keySize, (i + 1) * keySize));
  return list.length;
}
