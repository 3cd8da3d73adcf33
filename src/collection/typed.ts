// What Collection's typed accessors take: an event record type named in the
// object's BTF by default (the collection keeps that BTF), or a codec.
import type { Btf } from "../btf/btf.js";
import type { BtfCodec, CodecOptions } from "../btf/codec/index.js";
import type { PerfBufferOptions } from "../events/perf-buffer.js";
import type { TypedRecordOptions } from "../events/typed-records.js";

/** How Collection.ringBuffer/perfBuffer decode records: a type of the object's BTF (or of `btf`), or a codec. */
export type CollectionRecordOptions<T> =
  | { readonly codec: BtfCodec<T> }
  | (CodecOptions & {
      /** The record type: a name ("struct event", "event") or a BTF id. */
      readonly type: number | string;
      /** Where the type is (default: the object's BTF). */
      readonly btf?: Btf;
    });

/** Options of Collection.perfBuffer: the record type and the PerfBuffer options. */
export type CollectionPerfBufferOptions<T> = CollectionRecordOptions<T> & PerfBufferOptions;

/** The reader options with the object's BTF filled in where no codec or BTF was given. */
export function withObjectBtf<T, O extends CollectionRecordOptions<T>>(options: O, objectBtf: Btf | undefined): O & TypedRecordOptions<T> {
  if (typeof options !== "object" || options === null || "codec" in options) return options as O & TypedRecordOptions<T>;
  return { ...options, btf: options.btf ?? objectBtf } as O & TypedRecordOptions<T>;
}
