// Collection: the live kernel objects of one ObjectSpec — its maps, its
// programs and its global variables — created by Collection.load, which runs
// the loader's phases (collection/loader.ts: BTF, externs, maps, data
// sections, programs, population, variables, commit) and keeps what they made.
import type { CoreFixup } from "./core/fixup.js";
import type { Map as BpfMap } from "./map.js";
import type { ObjectSpec } from "./object/object-spec.js";
import type { Program } from "./program/program.js";
import { describeValue } from "./sys/arguments.js";
import { InvalidArgumentError, NotFoundError } from "./sys/errors.js";
import type { Variable } from "./collection/variables.js";
import type { StructOpsMap } from "./collection/struct-ops-map.js";
import type { StructOpsLink } from "./collection/struct-ops-link.js";
import { runCollectionLoader, type CollectionParts, type Closeable } from "./collection/loader.js";
import type { CollectionLoadOptions } from "./collection/load-options.js";
import { autoAttach, type AutoAttachment, type AutoAttachOptions } from "./link/auto-attach.js";
import type { Btf } from "./btf/btf.js";
import type { TypedMap, TypedMapOptions } from "./map/typed.js";
import { TypedPerfBuffer, TypedRingBuffer } from "./events/typed-records.js";
import { withObjectBtf, type CollectionPerfBufferOptions, type CollectionRecordOptions } from "./collection/typed.js";

export type { CollectionLoadOptions } from "./collection/load-options.js";
export type { CollectionRecordOptions, CollectionPerfBufferOptions } from "./collection/typed.js";

function checkName(name: unknown, kind: string): void {
  if (typeof name !== "string") throw new InvalidArgumentError(`collection.${kind}(name): name must be a string (got ${describeValue(name)})`, "name");
}

/** The loaded maps, programs and variables of an object. Closing it closes everything it created. */
export class Collection implements Disposable {
  /** Maps by their ObjectSpec key (C name; section name such as ".rodata" for global data). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** Loaded programs by C function name. */
  readonly programs: ReadonlyMap<string, Program>;
  /** Global variables of the data sections, backed by the maps' memory. */
  readonly variables: ReadonlyMap<string, Variable>;
  /** The CO-RE fixups applied, by program name (for diagnostics). */
  readonly coreFixups: ReadonlyMap<string, readonly CoreFixup[]>;
  /**
   * What the loader worked around or left undone: BTF the kernel refused (so
   * programs load without it), maps created without BTF, prog-array slots left
   * empty because their program was not loaded (a partial load).
   */
  readonly warnings: readonly string[];
  /** The object's BTF (undefined when it had none): typed maps, variables and event records decode with it. */
  readonly btf: Btf | undefined;
  readonly #owned: Closeable[];
  /** The same maps as `maps` and `programs`, writable: takeMap/takeProgram remove from them. */
  readonly #maps: Map<string, BpfMap>;
  readonly #programs: Map<string, Program>;
  readonly #structOps: Map<string, StructOpsMap>;
  #closed = false;

  /** @internal Use Collection.load. */
  constructor(parts: CollectionParts) {
    this.maps = parts.maps;
    this.programs = parts.programs;
    this.variables = parts.variables;
    this.coreFixups = parts.fixups;
    this.warnings = parts.warnings;
    this.btf = parts.btf;
    this.#owned = parts.owned;
    this.#maps = parts.maps;
    this.#programs = parts.programs;
    this.#structOps = parts.structOps;
  }

  /**
   * Loads `spec` into the kernel (BTF-enabled kernels, Linux 5.2+ for frozen
   * `.rodata`, 5.5+ for mmapped variables). On failure everything created so
   * far is closed (and pins it created are removed) before the error is thrown:
   * VerifierError (CoreVerifierError when a CO-RE relocation failed),
   * CoreRelocationError, NotFoundError for missing externs, IncompatibleError
   * for pinned maps that do not match and for ksyms/kfuncs declared with a
   * type the kernel's (vmlinux or module) BTF does not match.
   */
  static load(spec: ObjectSpec, options: CollectionLoadOptions = {}): Collection {
    return new Collection(runCollectionLoader(spec, options));
  }

  /** The map named `name`; NotFoundError when the collection has none. */
  map(name: string): BpfMap {
    checkName(name, "map");
    const m = this.maps.get(name);
    if (!m) throw new NotFoundError(`the collection has no map '${name}'`);
    return m;
  }

  /** The program named `name`; NotFoundError when it was not loaded. */
  program(name: string): Program {
    checkName(name, "program");
    const p = this.programs.get(name);
    if (!p) throw new NotFoundError(`the collection has no loaded program '${name}'`);
    return p;
  }

  /** The global variable named `name`; NotFoundError when there is none. */
  variable(name: string): Variable {
    checkName(name, "variable");
    const v = this.variables.get(name);
    if (!v) throw new NotFoundError(`the collection has no global variable '${name}'`);
    return v;
  }

  /**
   * The map named `name` with keys and values decoded through its BTF types
   * (the object's `__type(key, …)`/`__type(value, …)`, queue and stack maps
   * included), or the types in `options`. Per-CPU maps read as `V[]`:
   * `typedMap<K, V, V[]>(name)`. It wraps the collection's map.
   * NotFoundError when there is no such map.
   */
  typedMap<K = unknown, V = unknown, R = V>(name: string, options: TypedMapOptions = {}): TypedMap<K, V, R> {
    return this.map(name).typed<K, V, R>(options);
  }

  /**
   * A reader of the ring buffer map `name` whose records decode as `type`
   * (a type of the object's BTF: "struct event"), or through `codec`. A type
   * the object's BTF lacks is a NotFoundError that gives the usual fix
   * (clang drops types used only through local variables). Closing the
   * collection closes the reader.
   */
  ringBuffer<T = unknown>(name: string, options: CollectionRecordOptions<T>): TypedRingBuffer<T> {
    this.#checkOpen();
    const reader = new TypedRingBuffer<T>(this.map(name), withObjectBtf(options, this.btf));
    this.#owned.push(reader);
    return reader;
  }

  /**
   * A reader of the perf event array `name` whose samples decode as `type`
   * (or through `codec`), with the PerfBuffer options; errors as ringBuffer().
   * Closing the collection closes the reader.
   */
  perfBuffer<T = unknown>(name: string, options: CollectionPerfBufferOptions<T>): TypedPerfBuffer<T> {
    this.#checkOpen();
    const reader = new TypedPerfBuffer<T>(this.map(name), withObjectBtf(options, this.btf));
    this.#owned.push(reader);
    return reader;
  }

  /**
   * Takes the map named `name` out of the collection: it leaves `maps`, and
   * closing the collection no longer closes it — the caller owns it now
   * (close it when done). Global variables over it keep working while it is
   * open. A struct_ops map stays (register it with attachStructOps).
   * NotFoundError when the collection has no such map.
   */
  takeMap(name: string): BpfMap {
    this.#checkOpen();
    const m = this.map(name);
    if (this.#structOps.has(name)) throw new InvalidArgumentError(`map '${name}' is a struct_ops map: register it with attachStructOps('${name}') instead of taking it`, "name");
    this.#maps.delete(name);
    this.#disown(m);
    return m;
  }

  /**
   * Takes the program named `name` out of the collection: it leaves
   * `programs`, and closing the collection no longer closes it — the caller
   * owns it now. NotFoundError when it was not loaded.
   */
  takeProgram(name: string): Program {
    this.#checkOpen();
    const p = this.program(name);
    this.#programs.delete(name);
    this.#disown(p);
    return p;
  }

  #checkOpen(): void {
    if (this.#closed) throw new InvalidArgumentError("the collection is closed", "collection");
  }

  /** Removes `resource` from what close() closes (borrowed replacement maps were never there). */
  #disown(resource: Closeable): void {
    const at = this.#owned.indexOf(resource);
    if (at >= 0) this.#owned.splice(at, 1);
  }

  /**
   * Registers the struct_ops map `name` (a `SEC(".struct_ops")` or
   * `SEC(".struct_ops.link")` variable) with the kernel, e.g. makes a
   * tcp_congestion_ops available by its `.name`. `.struct_ops.link` maps
   * register through a BPF link (Linux 6.4); plain `.struct_ops` maps by the
   * map update itself (Linux 5.6), and only once per load. The handle's
   * close() unregisters (unless its link was pinned); closing the collection
   * closes it too. A link's update() swaps to another struct_ops map of this
   * collection by name (or a Map). NotFoundError when the collection has no
   * such struct_ops map.
   */
  attachStructOps(name: string): StructOpsLink {
    this.#checkOpen();
    const ops = this.#structOps.get(name);
    if (!ops) {
      const known = [...this.#structOps.keys()];
      throw new NotFoundError(`the collection has no struct_ops map '${name}'` + (known.length ? ` (it has: ${known.join(", ")})` : ""));
    }
    const link = ops.register((target) => this.#structOpsTarget(target));
    this.#owned.push(link);
    return link;
  }

  /**
   * Attaches every program whose SEC() name fully describes its target —
   * tracepoints, `uprobe/BINARY:FUNCTION`, `usdt/BINARY:PROVIDER:NAME`,
   * kprobes, raw_tp, tp_btf, iterators … — and registers every struct_ops
   * map, as libbpf's skeleton `__attach` does. Programs whose target only the
   * caller knows (an interface, a cgroup, a socket) are listed in `skipped`
   * with the call that attaches them. All or nothing: when one attach fails,
   * what was attached is detached and the error names the program. Closing the
   * result detaches everything; so does closing the collection.
   */
  attach(options: AutoAttachOptions = {}): AutoAttachment {
    this.#checkOpen();
    const structOps = new Map([...this.#structOps.keys()].map((name) => [name, () => this.attachStructOps(name)] as const));
    const attachment = autoAttach(this.#programs, structOps, options);
    this.#owned.push(attachment);
    return attachment;
  }

  /** A struct_ops map to swap a link to: one of ours by name or Map (value written first), or a foreign Map as it is. */
  #structOpsTarget(target: string | BpfMap): { name: string; map: BpfMap } {
    this.#checkOpen();
    const ops = typeof target === "string" ? this.#structOps.get(target) : [...this.#structOps.values()].find((o) => o.map === target);
    if (ops) {
      ops.prepare();
      return { name: ops.name, map: ops.map };
    }
    if (typeof target !== "string") return { name: target.name, map: target };
    throw new NotFoundError(`the collection has no struct_ops map '${target}' (it has: ${[...this.#structOps.keys()].join(", ")})`);
  }

  /** Closes every program, map (and mapping) and the BTF the collection created. Pinned objects live on. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of [...this.#owned].reverse()) r.close();
  }

  /** Closes the collection and everything it owns (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
