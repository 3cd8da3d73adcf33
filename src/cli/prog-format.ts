// bpftool's renderings of `prog show`: plain text and JSON.
import { programTypeName } from "../features/names.js";
import { pidsJson, pidsPlain, type ObjectRef } from "./pids.js";
import { bootNsToWallSeconds, formatLoadedAt, type ProgShowInfo } from "./kernel-info.js";

/**
 * `prog show` as a JSON object, fields in bpftool's order; `refs` lists the
 * processes holding it, `pinned` its bpffs paths (-f; undefined: no member).
 */
export function progShowJson(p: ProgShowInfo, refs: readonly ObjectRef[] = [], pinned?: readonly string[]): Record<string, unknown> {
  const o: Record<string, unknown> = { id: p.id, type: programTypeName(p.type) };
  if (p.name) o.name = p.name;
  o.tag = p.tag;
  o.gpl_compatible = p.gplCompatible;
  if (p.runTimeNs) {
    o.run_time_ns = Number(p.runTimeNs);
    o.run_cnt = Number(p.runCount);
  }
  if (p.recursionMisses) o.recursion_misses = Number(p.recursionMisses);
  if (p.loadTimeNs) {
    o.loaded_at = bootNsToWallSeconds(p.loadTimeNs);
    o.uid = p.uid;
  }
  o.bytes_xlated = p.xlatedLen;
  if (p.jitedLen) {
    o.jited = true;
    o.bytes_jited = p.jitedLen;
  } else {
    o.jited = false;
  }
  if (p.memlock !== undefined) o.bytes_memlock = p.memlock;
  if (p.mapIds.length) o.map_ids = p.mapIds;
  if (p.btfId) o.btf_id = p.btfId;
  if (pinned) o.pinned = [...pinned];
  if (refs.length) o.pids = pidsJson(refs);
  return o;
}

/** `prog show` as bpftool's plain text. */
export function progShowPlain(p: ProgShowInfo, refs: readonly ObjectRef[] = [], pinned?: readonly string[]): string {
  let s = `${p.id}: ${programTypeName(p.type)}  `;
  if (p.name) s += `name ${p.name}  `;
  s += `tag ${p.tag}${p.gplCompatible ? "  gpl" : ""}`;
  if (p.runTimeNs) s += ` run_time_ns ${p.runTimeNs} run_cnt ${p.runCount}`;
  if (p.recursionMisses) s += ` recursion_misses ${p.recursionMisses}`;
  if (p.loadTimeNs) s += `\n\tloaded_at ${formatLoadedAt(bootNsToWallSeconds(p.loadTimeNs))}  uid ${p.uid}`;
  s += `\n\txlated ${p.xlatedLen}B`;
  s += p.jitedLen ? `  jited ${p.jitedLen}B` : "  not jited";
  if (p.memlock !== undefined) s += `  memlock ${p.memlock}B`;
  if (p.mapIds.length) s += `  map_ids ${p.mapIds.join(",")}`;
  for (const path of pinned ?? []) s += `\n\tpinned ${path}`;
  if (p.btfId) s += `\n\tbtf_id ${p.btfId}`;
  return s + pidsPlain(refs);
}
