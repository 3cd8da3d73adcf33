// Key iteration with BPF_MAP_GET_NEXT_KEY that survives concurrent deletes.
//
// The kernel walks a hash map (or LPM trie) from a key; when that key has
// been deleted it silently restarts from the first key. So the walk:
//   * fetches the successor of a key *before* handing the key out, so a
//     caller that deletes the key it was given never triggers a restart;
//   * remembers the keys it has surfaced (hash-like maps only) and skips them
//     when a restart happens anyway (another process deleted the key we were
//     about to continue from), so no key is surfaced twice in one pass;
//   * gives up with a BusyError after a bounded number of steps, so a map
//     that is churned faster than it can be walked cannot loop forever.
// Keys added during the walk may or may not be seen. Arrays have fixed keys:
// no restart can happen and no set is kept.
import * as E from "../sys/errno.js";
import { BusyError } from "../sys/errors.js";
import type { ElemOps } from "./elem.js";
import { describeMap, elemError, type MapIdentity } from "./errors.js";
import { isArrayLikeType } from "./types.js";

/**
 * The walk itself, over any map: `next(undefined)` is the first key,
 * `next(key)` the one after `key`, undefined at the end (errors are thrown
 * by `next`). `hint` ends the BusyError message with what to do instead.
 * Shared by kernel maps (below) and the user-space machine's maps.
 */
export function* walkKeys(
  next: (key: Uint8Array | undefined) => Uint8Array | undefined, m: MapIdentity, hint = "",
): Generator<Uint8Array, void, undefined> {
  const seen = isArrayLikeType(m.type) ? undefined : new Set<string>();
  // Each element costs one step and each restart re-walks at most the whole
  // map, so this allows ~32 restarts of a full map (or many more of a
  // sparse one) before concluding that the map is being churned.
  const limit = 32 * (m.maxEntries + 32);
  let steps = 0;
  let pending = next(undefined);
  while (pending) {
    const current: Uint8Array = pending;
    pending = next(current);
    if (++steps > limit) {
      throw new BusyError(`iterating ${describeMap(m)}: gave up after ${limit} steps, the map changes faster than it can be walked${hint}`);
    }
    if (seen) {
      // A key's identity (a syscall per step dominates the cost of building it).
      const s = current.join(",");
      if (seen.has(s)) continue;
      seen.add(s);
    }
    yield current;
  }
}

/** Every key of the map, each a fresh Uint8Array. */
export function iterateKeys(ops: ElemOps, m: MapIdentity): Generator<Uint8Array, void, undefined> {
  return walkKeys((key) => {
    // The scratch buffers are shared with every other op on this map (the
    // caller may use the map between yields), so refill them each step.
    if (key) ops.key.set(key);
    const r = ops.nextKey(key === undefined);
    if (r === 0) return ops.next.slice();
    if (-r === E.ENOENT) return undefined;
    throw elemError(-r, "BPF_MAP_GET_NEXT_KEY", m);
  }, m, "; use batch lookups");
}

/** Every [key, value] pair of a map that walks keys and looks them up; keys deleted meanwhile are skipped. */
export function* iterateEntries(map: {
  keys(): Iterable<Uint8Array>;
  tryLookup(key: Uint8Array): Uint8Array | undefined;
}): Generator<[Uint8Array, Uint8Array], void, undefined> {
  for (const key of map.keys()) {
    const value = map.tryLookup(key);
    if (value !== undefined) yield [key, value];
  }
}
