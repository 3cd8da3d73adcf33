// The BTF-driven codec: plain JavaScript values ⇄ the bytes of a BTF type.
export { BtfCodec, type CodecOptions } from "./codec.js";
