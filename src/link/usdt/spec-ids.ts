// Spec ids: each distinct argument layout of an attachment gets a slot of
// the __bpf_usdt_specs array map. Slots are shared by every attachment of
// programs that use the same map (one object's programs), so they are
// handed out per map, smallest free first, and given back when the link
// that holds them closes — libbpf's usdt_manager does the same per object.

/** Free slots of one specs map, by map id. */
const pools = new Map<number, { next: number; free: number[] }>();

/** A free slot of the specs map `mapId` (with `capacity` entries), or undefined when all are taken. */
export function allocateSpecId(mapId: number, capacity: number): number | undefined {
  let pool = pools.get(mapId);
  if (!pool) pools.set(mapId, (pool = { next: 0, free: [] }));
  if (pool.free.length > 0) return pool.free.pop();
  if (pool.next >= capacity) return undefined;
  return pool.next++;
}

/** Gives slots back (when their link closes or its attach failed). */
export function releaseSpecIds(mapId: number, ids: readonly number[]): void {
  const pool = pools.get(mapId);
  if (!pool) return;
  pool.free.push(...ids);
  // Keep the smallest free first, so ids stay small and dense.
  pool.free.sort((a, b) => b - a);
  if (pool.free.length === pool.next) pools.delete(mapId);
}
