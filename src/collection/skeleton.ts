// Skeleton: the lifecycle every generated skeleton shares (`tsbpf gen
// skeleton` writes only the typed parts: interfaces, views, maps, programs
// and event readers of one object). Keeping open/load/attach/close here,
// rather than in each generated module, means a fix reaches every skeleton
// without regenerating it, and generated modules stay short and readable.
import { Collection } from "../collection.js";
import type { CollectionLoadOptions } from "./load-options.js";
import type { AutoAttachment, AutoAttachOptions } from "../link/auto-attach.js";
import type { ObjectSpec } from "../object/object-spec.js";
import { InvalidArgumentError } from "../sys/errors.js";

/** How a skeleton's views reach a global variable: its VariableSpec before load(), the live Variable after. */
export interface SkeletonVariable {
  /** The value, decoded by its BTF type. */
  read<T>(): T;
  /** Writes a value of its BTF type. */
  write<T>(value: T): void;
  /** A copy of its bytes. */
  get(): Uint8Array;
  /** Writes its bytes. */
  set(value: Uint8Array): void;
}

/**
 * The base class of generated skeletons: an ObjectSpec until load(), then
 * its Collection; event readers opened once each; close() (or `using`)
 * releases the collection, its readers and what attach() attached.
 */
export abstract class Skeleton implements Disposable {
  /** The parsed object: adjust maps (sizes, pinning) and programs (autoload) here before load(). */
  readonly spec: ObjectSpec;
  readonly #what: string;
  #collection: Collection | undefined;
  readonly #readers = new Map<string, Disposable>();
  #closed = false;

  /** `what` names the skeleton in errors (its class name: a bundler may rename classes). */
  protected constructor(spec: ObjectSpec, what: string) {
    this.spec = spec;
    this.#what = what;
  }

  /** True once load() succeeded (until close()). */
  get loaded(): boolean {
    return this.#collection !== undefined && !this.#closed;
  }

  /** The loaded collection (InvalidArgumentError before load() or after close()). */
  get collection(): Collection {
    this.#assertOpen();
    if (!this.#collection) throw new InvalidArgumentError(`${this.#what} is not loaded yet: call load() first`, "skeleton");
    return this.#collection;
  }

  /** Loads the object into the kernel (Collection.load): maps, programs, frozen rodata. */
  load(options: CollectionLoadOptions = {}): this {
    this.#assertOpen();
    if (this.#collection) throw new InvalidArgumentError(`${this.#what} is already loaded`, "skeleton");
    this.#collection = Collection.load(this.spec, options);
    return this;
  }

  /** Attaches every program whose SEC() names its target (Collection.attach); closing the result, or the skeleton, detaches. */
  attach(options: AutoAttachOptions = {}): AutoAttachment {
    return this.collection.attach(options);
  }

  /** The reader called `name`, opened by `open` on first use (the collection closes it). */
  protected reader<T extends Disposable>(name: string, open: () => T): T {
    const known = this.#readers.get(name);
    if (known) return known as T;
    const made = open();
    this.#readers.set(name, made);
    return made;
  }

  /** The global `name` as the views see it: the spec's before load(), the live one after (refusing writes to frozen .rodata). */
  protected variable(name: string, write: boolean): SkeletonVariable {
    this.#assertOpen();
    if (!this.#collection) return this.spec.variable(name);
    if (write && this.spec.variable(name).readOnly) {
      throw new InvalidArgumentError(`${name} is .rodata configuration: set it before load(); it is frozen now`, name);
    }
    return this.#collection.variable(name);
  }

  /** Closes the collection: its maps, programs, event readers and what attach() attached. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readers.clear();
    this.#collection?.close();
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidArgumentError(`${this.#what} is closed`, "skeleton");
  }
}
