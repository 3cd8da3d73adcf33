// The Btf class: a lazily decoded BTF type graph. Opening BTF validates the
// header and indexes where each type record starts (one pass over a
// Uint32Array, no objects); a type is decoded only when asked for, and the
// name index is built on the first lookup by name. Pure parsing, no syscalls.
import { BtfError } from "./errors.js";
import { kindNames, kindOf, MAX_KIND, recordWords, vlenOf, type BtfKind } from "./kinds.js";
import { BTF_HEADER_SIZE, readBtfHeader, stringBytesOf, typeWordsOf, type BtfHeader } from "./header.js";
import { Buffer } from "node:buffer";
import { bytesEqualAt, essentialByteLength, FNV1A_BASIS, FNV1A_PRIME, fnv1a, StringTable } from "./strings.js";
import { decodeType, type DecodeContext } from "./decode.js";
import { alignOf, resolveId, sizeOf } from "./layout.js";
import type { BtfType, BtfTypeOf } from "./types.js";
import { isReadOnlyMapping, RAW } from "./mapped-bytes.js";

export { BTF_MAGIC, type BtfHeader } from "./header.js";

/** Options for parsing BTF. */
export interface BtfParseOptions {
  /** Base BTF for split BTF (module BTF sits on vmlinux): ids and string offsets continue from it. */
  base?: Btf;
}

const VOID: BtfType = Object.freeze({ id: 0, kind: "VOID", name: "", kindFlag: false });
/** Decoded types move from a Map to an array once 1/32 of them are decoded (and at least this many). */
const DENSE_DECODED_FRACTION = 32;
const MIN_DENSE_DECODED = 256;

/** A BTF blob (raw `/sys/kernel/btf/*`, or the `.BTF` section of an object), decoded on demand. */
export class Btf implements DecodeContext, Iterable<BtfType> {
  readonly #bytes: Uint8Array;
  readonly header: BtfHeader;
  /** Byte order of the input; encoding keeps it by default. */
  readonly littleEndian: boolean;
  /** The base BTF of split BTF, else undefined. */
  readonly base: Btf | undefined;
  /** Id of this BTF's first own type: 1, or the base's last id + 1 for split BTF. */
  readonly firstId: number;
  /** Number of own types (void and base types excluded). */
  readonly count: number;
  readonly #words: Uint32Array;
  /** Copies handed out when the input is a read-only mapping (see mapped-bytes.ts). */
  #bytesCopy: Uint8Array | undefined;
  #wordsCopy: Uint32Array | undefined;
  readonly strings: StringTable;
  /** Word index of each own type's record, by `id - firstId`. */
  readonly #starts: Uint32Array;
  /**
   * Decoded types by local index: in a Map while few are (a load decodes a
   * few hundred of vmlinux's ~130k types, and an array of `count` slots is
   * 1 MiB of heap for the life of the cached kernel BTF), in an array once a
   * walk decodes many (a dump decodes them all; the array is then smaller).
   */
  #decodedSparse: Map<number, BtfType> | undefined = new Map();
  #decodedDense: (BtfType | undefined)[] | undefined;
  #nameIndex: NameIndex | undefined;
  readonly #byName = new Map<string, readonly number[]>();
  #pointerSize: number | undefined;

  /** Parses raw BTF bytes (header, types, strings). Throws BtfError on malformed input. */
  constructor(bytes: Uint8Array, options: BtfParseOptions = {}) {
    this.#bytes = bytes;
    this.base = options.base;
    const { header: h, littleEndian: le } = readBtfHeader(bytes);
    this.littleEndian = le;
    this.header = h;
    if (h.version !== 1) throw new BtfError(`unsupported BTF version ${h.version}`);
    if (h.hdrLen < BTF_HEADER_SIZE || h.hdrLen > bytes.byteLength) throw new BtfError(`bad BTF header length ${h.hdrLen}`);
    const dataLen = bytes.byteLength - h.hdrLen;
    if (h.typeOff + h.typeLen > dataLen) throw new BtfError(`type section [${h.typeOff}, +${h.typeLen}) runs past the end of the data (${dataLen} bytes)`);
    if (h.strOff + h.strLen > dataLen) throw new BtfError(`string section [${h.strOff}, +${h.strLen}) runs past the end of the data (${dataLen} bytes)`);
    if (h.typeOff % 4 !== 0 || h.typeLen % 4 !== 0) throw new BtfError("type section is not 4-byte aligned");
    const strBytes = stringBytesOf(bytes, h);
    if (!this.base && (strBytes.byteLength === 0 || strBytes[0] !== 0)) throw new BtfError("string section must start with an empty string");
    if (strBytes.byteLength > 0 && strBytes[strBytes.byteLength - 1] !== 0) throw new BtfError("string section is not NUL-terminated");
    this.strings = new StringTable(strBytes, this.base?.strings);
    this.#words = typeWordsOf(bytes, h, le);
    this.firstId = this.base ? this.base.lastId + 1 : 1;
    this.#starts = indexTypes(this.#words);
    this.count = this.#starts.length;
  }

  /** The bytes this BTF was parsed from (a private copy when they are a read-only mapping, e.g. kernelBtf()). */
  get bytes(): Uint8Array {
    if (!isReadOnlyMapping(this.#bytes)) return this.#bytes;
    this.#bytesCopy ??= this.#bytes.slice();
    return this.#bytesCopy;
  }

  /** The type section as host-order u32 words (a private copy when they alias a read-only mapping). */
  get words(): Uint32Array {
    if (!isReadOnlyMapping(this.#words)) return this.#words;
    this.#wordsCopy ??= this.#words.slice();
    return this.#wordsCopy;
  }

  /** @internal The uncopied bytes and words, for the package's own readers: never write to them or return them. */
  get [RAW](): { readonly bytes: Uint8Array; readonly words: Uint32Array } {
    return { bytes: this.#bytes, words: this.#words };
  }

  /** Highest valid type id (including base types). */
  get lastId(): number {
    return this.firstId + this.count - 1;
  }

  /** The type with this id (0 is void); ids below `firstId` come from the base. Throws BtfError for unknown ids. */
  typeById(id: number): BtfType {
    if (id < this.firstId) {
      if (id === 0) return VOID;
      if (this.base && id > 0) return this.base.typeById(id);
      throw new BtfError(`type id ${id} is invalid`);
    }
    const local = id - this.firstId;
    if (!(local < this.count) || !Number.isInteger(local)) throw new BtfError(`type id ${id} is out of range (last id is ${this.lastId})`);
    const dense = this.#decodedDense;
    let t = dense ? dense[local] : this.#decodedSparse!.get(local);
    if (t === undefined) {
      t = decodeType(this, this.#words, id, this.#starts[local] as number);
      this.#remember(local, t);
    }
    return t;
  }

  #remember(local: number, t: BtfType): void {
    if (this.#decodedDense) {
      this.#decodedDense[local] = t;
      return;
    }
    const sparse = this.#decodedSparse!;
    sparse.set(local, t);
    if (sparse.size * DENSE_DECODED_FRACTION >= this.count && sparse.size >= MIN_DENSE_DECODED) {
      const dense = new Array<BtfType | undefined>(this.count);
      for (const [k, v] of sparse) dense[k] = v;
      this.#decodedDense = dense;
      this.#decodedSparse = undefined;
    }
  }

  /** The type with this id, checked to be of `kind`. */
  typeOfKind<K extends BtfKind>(id: number, kind: K): BtfTypeOf<K> {
    const t = this.typeById(id);
    if (t.kind !== kind) throw new BtfError(`type [${id}] is ${t.kind}, expected ${kind}`);
    return t as BtfTypeOf<K>;
  }

  /**
   * Word index in `words` where an own type's record starts (for allocation-free
   * whole-graph walks over the raw records; ids below `firstId` belong to `base`).
   */
  recordStart(id: number): number {
    const local = id - this.firstId;
    if (!(local >= 0 && local < this.count)) throw new BtfError(`type id ${id} is not an own type of this BTF (${this.firstId}..${this.lastId})`);
    return this.#starts[local] as number;
  }

  /** The kind of a type without decoding it (fast for whole-graph walks). */
  kindOf(id: number): BtfKind {
    if (id === 0) return "VOID";
    if (id < this.firstId) return this.base ? this.base.kindOf(id) : this.typeById(id).kind;
    const local = id - this.firstId;
    if (!(local < this.count)) throw new BtfError(`type id ${id} is out of range (last id is ${this.lastId})`);
    return kindNames[kindOf(this.#words[(this.#starts[local] as number) + 1] as number)] as BtfKind;
  }

  /** The name of a type without decoding it ("" when anonymous). */
  nameOf(id: number): string {
    if (id === 0) return "";
    if (id < this.firstId) return this.base ? this.base.nameOf(id) : this.typeById(id).name;
    const local = id - this.firstId;
    if (!(local < this.count)) throw new BtfError(`type id ${id} is out of range (last id is ${this.lastId})`);
    return this.strings.get(this.#words[this.#starts[local] as number] as number);
  }

  /**
   * Every type named `name` (optionally only of `kind`), base types first, in
   * id order. The name index is built on the first call.
   */
  typesByName<K extends BtfKind>(name: string, kind?: K): BtfTypeOf<K>[] {
    const out: BtfTypeOf<K>[] = [];
    for (const id of this.idsByName(name)) {
      const t = this.typeById(id);
      if (kind === undefined || t.kind === kind) out.push(t as BtfTypeOf<K>);
    }
    return out;
  }

  /** The single type named `name` of `kind`; undefined when none, BtfError when ambiguous. */
  typeByName<K extends BtfKind>(name: string, kind: K): BtfTypeOf<K> | undefined {
    const found = this.typesByName(name, kind);
    if (found.length > 1) throw new BtfError(`${found.length} ${kind} types are named '${name}'`);
    return found[0];
  }

  /** Ids of every type named `name` (base first). */
  idsByName(name: string): readonly number[] {
    if (name === "") return [];
    const cached = this.#byName.get(name);
    if (cached) return cached;
    const ids: number[] = this.base ? [...this.base.idsByName(name)] : [];
    const index = this.#nameIndexOrBuild();
    const query = Buffer.from(name, "utf8");
    const n = query.length;
    for (let e = index.heads[fnv1a(query, 0, n) & index.mask] as number; e !== 0; e = index.next[e - 1] as number) {
      const off = this.#words[this.#starts[e - 1] as number] as number;
      const table = this.strings.ownerOf(off);
      const at = off - table.start;
      if (bytesEqualAt(table[RAW], at, query, n) && table[RAW][at + n] === 0) ids.push(this.firstId + e - 1);
    }
    // Chains run in no particular order; base ids are all lower than own ids.
    ids.sort((a, b) => a - b);
    this.#byName.set(name, ids);
    return ids;
  }

  /**
   * Ids of own types (base types excluded) whose name is `essential` plus a
   * CO-RE flavor suffix ("task_struct___v1" for "task_struct"), in id order —
   * names equal to `essential` itself are not included. Answered from the
   * name index, without scanning the string table.
   */
  flavoredIdsOf(essential: string): readonly number[] {
    const index = this.#nameIndexOrBuild();
    if (!index.flavored || essential === "") return [];
    const query = Buffer.from(essential, "utf8");
    const n = query.length;
    const hits = index.flavored.get(fnv1a(query, 0, n));
    if (!hits) return [];
    const out: number[] = [];
    for (const id of hits) {
      const off = this.#words[this.#starts[id - this.firstId] as number] as number;
      const table = this.strings.ownerOf(off);
      const at = off - table.start;
      if (essentialByteLength(table[RAW], at) === n && bytesEqualAt(table[RAW], at, query, n)) out.push(id);
    }
    return out;
  }

  #nameIndexOrBuild(): NameIndex {
    return (this.#nameIndex ??= buildNameIndex(this.#words, this.#starts, this.strings, this.firstId));
  }

  /** Own types in id order (not void, not base types). */
  *[Symbol.iterator](): IterableIterator<BtfType> {
    for (let id = this.firstId; id <= this.lastId; id++) yield this.typeById(id);
  }

  /** Own types of one kind, in id order. */
  *types<K extends BtfKind>(kind?: K): IterableIterator<BtfTypeOf<K>> {
    for (let id = this.firstId; id <= this.lastId; id++) {
      if (kind === undefined || this.kindOf(id) === kind) yield this.typeById(id) as BtfTypeOf<K>;
    }
  }

  /** The string at a string-section offset (combined offset space for split BTF). */
  stringAt(offset: number): string {
    return this.strings.get(offset);
  }

  /**
   * Follows typedefs, qualifiers, type tags and VARs to the underlying type
   * (libbpf's btf__resolve_type, except that ending at void or a FWD returns
   * that type instead of failing). BtfError on a reference cycle.
   */
  resolve(id: number): BtfType {
    return this.typeById(resolveId(this, id));
  }

  /** Size in bytes as libbpf's btf__resolve_size computes it; BtfError for sizeless types (void, func, fwd). */
  sizeOf(id: number): number {
    return sizeOf(this, id);
  }

  /** Alignment in bytes as libbpf's btf__align_of computes it (1 for packed structs). */
  alignOf(id: number): number {
    return alignOf(this, id);
  }

  /** Pointer size of the target: the size of `long` if the BTF has it, else 8. */
  get pointerSize(): number {
    if (this.#pointerSize === undefined) {
      this.#pointerSize = 8;
      for (const name of ["long", "long int", "long unsigned int", "unsigned long"]) {
        const t = this.typesByName(name, "INT")[0];
        if (t && (t.size === 4 || t.size === 8)) {
          this.#pointerSize = t.size;
          break;
        }
      }
    }
    return this.#pointerSize;
  }
}

/**
 * Name lookup over the own types, all in typed arrays: a chained hash table
 * keyed by FNV-1a of the name's bytes (so equal names at different string
 * offsets share a chain), plus the flavored names ("a___b") keyed by the hash
 * of their essential name ("a"), for CO-RE candidate search.
 */
interface NameIndex {
  /** Bucket → first entry of its chain, as local index + 1 (0 = empty). */
  readonly heads: Int32Array;
  /** Local index → next entry of the same chain, as local index + 1 (0 = end). */
  readonly next: Int32Array;
  readonly mask: number;
  /** Essential-name hash → ids (ascending) of own types whose name carries a flavor; undefined when none do. */
  readonly flavored: Map<number, number[]> | undefined;
}

/** "___" as three bytes of a big-endian window. */
const THREE_UNDERSCORES = 0x5f5f5f;

/**
 * One pass over the own types' name offsets, hashing the string bytes in
 * place (no JS strings are made). Vmlinux has ~150k types, so this runs once
 * per Btf and must stay cheap: a Map keyed by offset cost ~8-15 ms here.
 */
function buildNameIndex(words: Uint32Array, starts: Uint32Array, strings: StringTable, firstId: number): NameIndex {
  const count = starts.length;
  let size = 16;
  while (size < count / 2) size *= 2; // about half of all types have names
  const heads = new Int32Array(size);
  const next = new Int32Array(count);
  const mask = size - 1;
  const deferred = new Int32Array(count);
  // A plain Uint8Array view keeps the hot loop monomorphic (callers pass Buffers or Uint8Arrays).
  const ownBytes = strings[RAW];
  const own = new Uint8Array(ownBytes.buffer, ownBytes.byteOffset, ownBytes.byteLength);
  const nDeferred = hashOwnNames(words, starts, own, strings.start, heads, next, mask, deferred);
  let flavored: Map<number, number[]> | undefined;
  for (let k = 0; k < nDeferred; k++) {
    const entry = deferred[k] as number;
    const i = entry < 0 ? ~entry : entry;
    const off = words[starts[i] as number] as number;
    const table = strings.ownerOf(off);
    const bytes = table[RAW];
    const at = off - table.start;
    if (at < 0 || at >= bytes.length) continue; // a bad offset names nothing findable
    const end = bytes.indexOf(0, at);
    if (entry < 0) {
      // The name lives in the base's string table: hashed here, off the hot path.
      const bucket = fnv1a(bytes, at, end) & mask;
      next[i] = heads[bucket] as number;
      heads[bucket] = i + 1;
    }
    const essentialLength = essentialByteLength(bytes, at);
    if (essentialLength < end - at) {
      const essentialHash = fnv1a(bytes, at, at + essentialLength);
      flavored ??= new Map();
      const list = flavored.get(essentialHash);
      if (list) list.push(firstId + i);
      else flavored.set(essentialHash, [firstId + i]);
    }
  }
  return { heads, next, mask, flavored };
}

/**
 * The hot loop of buildNameIndex, kept free of rarely taken paths so V8
 * optimizes it once and never deoptimizes: chains in every name found in
 * this table's own bytes, and lists in `deferred` the local indexes (in
 * ascending order) that need more work — `i` for a name that may carry a
 * flavor (it has a "___"), `~i` for a name in the base's string table. Flavor
 * detection is a branch-free-ish sliding window of the last three bytes (a
 * run counter measured ~1.5 ms slower on vmlinux); the essential name is
 * measured only for the rare names that contain "___". Returns how many
 * entries `deferred` got.
 */
function hashOwnNames(
  words: Uint32Array, starts: Uint32Array, own: Uint8Array, ownStart: number,
  heads: Int32Array, next: Int32Array, mask: number, deferred: Int32Array,
): number {
  const count = starts.length;
  const ownLength = own.length;
  let nDeferred = 0;
  for (let i = 0; i < count; i++) {
    const off = words[starts[i] as number] as number;
    if (off === 0) continue;
    let p = off - ownStart;
    if (p < 0) {
      deferred[nDeferred++] = ~i;
      continue;
    }
    if (p >= ownLength) continue; // a bad offset names nothing findable
    let h = FNV1A_BASIS;
    let window = 0; // the last bytes read, newest lowest
    let maybeFlavored = false;
    // The section ends in a NUL (checked when parsing), so this stops.
    for (let b = own[p] as number; b !== 0; b = own[++p] as number) {
      window = (window << 8) | b;
      if ((window & 0xffffff) === THREE_UNDERSCORES) maybeFlavored = true;
      h = Math.imul(h ^ b, FNV1A_PRIME);
    }
    const bucket = h & mask;
    next[i] = heads[bucket] as number;
    heads[bucket] = i + 1;
    if (maybeFlavored) deferred[nDeferred++] = i;
  }
  return nDeferred;
}

/** One pass over the type records: where each starts. Unknown kinds and truncated records are BtfError. */
function indexTypes(w: Uint32Array): Uint32Array {
  const n = w.length;
  // Kernel BTF averages ~6 words a record; start there and grow (every record
  // is at least 3 words, so the count stays bounded by the input length).
  let starts = new Uint32Array(Math.max(16, Math.floor(n / 5)));
  let count = 0;
  let pos = 0;
  while (pos < n) {
    if (pos + 3 > n) throw new BtfError(`type ${count + 1} is truncated (type section ends inside its header)`);
    const info = w[pos + 1] as number;
    const kind = kindOf(info);
    if (kind === 0 || kind > MAX_KIND) {
      throw new BtfError(`type #${count + 1} has unknown kind ${kind} (this library knows kinds 1..${MAX_KIND}, up to BTF_KIND_ENUM64)`);
    }
    if (count === starts.length) {
      const grown = new Uint32Array(Math.min(Math.ceil(n / 3), starts.length * 2));
      grown.set(starts);
      starts = grown;
    }
    starts[count++] = pos;
    pos += recordWords(kind, vlenOf(info));
  }
  if (pos !== n) throw new BtfError(`type #${count} runs past the end of the type section`);
  return starts.subarray(0, count);
}

