// The record opensnoop.bpf.c writes into its ring buffer (struct
// open_event), decoded at the member offsets the object's own BTF gives, so
// the decoder follows the C struct if it changes.
import type { Btf } from "tsbpf";

/** One open call as reported by the BPF program. */
export interface OpenEvent {
  /** Process id (tgid). */
  pid: number;
  /** Thread id. */
  tid: number;
  uid: number;
  /** The syscall's result: a file descriptor, or -errno. */
  ret: number;
  /** The open flags (O_RDONLY, O_CREAT …). */
  flags: number;
  comm: string;
  path: string;
}

const fields = ["tgid", "tid", "uid", "ret", "flags", "comm", "path"] as const;
type Field = (typeof fields)[number];

const text = new TextDecoder();

/** A NUL-terminated C string inside `bytes`. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return text.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Decodes open_event records by the layout in the object's BTF. */
export class OpenEventDecoder {
  readonly #offsets: Record<Field, number>;
  readonly #commSize: number;
  readonly #size: number;

  constructor(btf: Btf | undefined) {
    const struct = btf?.typeByName("open_event", "STRUCT");
    if (!struct) throw new Error("the object's BTF has no struct open_event");
    const offsets = {} as Record<Field, number>;
    for (const f of fields) {
      const m = struct.members.find((x) => x.name === f);
      if (!m) throw new Error(`struct open_event has no member '${f}'`);
      offsets[f] = m.bitOffset / 8;
    }
    this.#offsets = offsets;
    this.#commSize = offsets.path - offsets.comm;
    this.#size = struct.size;
  }

  /** Size of one record in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Decodes one record (the bytes may be a view that is only valid during the call: nothing refers to them afterwards). */
  decode(bytes: Uint8Array): OpenEvent {
    if (bytes.byteLength < this.#size) throw new Error(`short open_event record: ${bytes.byteLength} of ${this.#size} bytes`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const o = this.#offsets;
    return {
      pid: v.getUint32(o.tgid, true),
      tid: v.getUint32(o.tid, true),
      uid: v.getUint32(o.uid, true),
      ret: v.getInt32(o.ret, true),
      flags: v.getInt32(o.flags, true),
      comm: cString(bytes.subarray(o.comm, o.comm + this.#commSize)),
      path: cString(bytes.subarray(o.path, this.#size)),
    };
  }
}
