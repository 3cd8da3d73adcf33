// The test seam of Collection.load: the same load, with the machine's
// sources (kconfig values, module BTF, the BTF kinds the kernel accepts)
// replaced. Internal: tests import this file directly; src/index.ts does not
// export it, so no test hook reaches the public options.
import { Collection } from "../collection.js";
import type { ObjectSpec } from "../object/object-spec.js";
import type { CollectionLoadOptions } from "./load-options.js";
import { runCollectionLoader, type LoaderSources } from "./loader.js";

export type { LoaderSources } from "./loader.js";

/** Collection.load(spec, options) reading `sources` instead of the running kernel's where given. */
export function loadCollectionWith(spec: ObjectSpec, options: CollectionLoadOptions, sources: LoaderSources): Collection {
  return new Collection(runCollectionLoader(spec, options, sources));
}
