// `tsbpf map create FILE type TYPE key K value V entries N name NAME
// [flags F] [inner_map MAP]`: create a map and pin it (the pin is what keeps
// it alive once the command exits).
import { Args, UsageError } from "./args.js";
import { openOneRef, parseRef } from "./refs.js";
import { Attr } from "../sys/attr.js";
import { Cmd, MapCreateAttr } from "../sys/layouts.js";
import { bpfRaw } from "../sys/syscall.js";
import { errorFromErrno } from "../sys/errors.js";
import { FD } from "../sys/fd.js";
import { dirname } from "node:path";
import { pinFd } from "../sys/objects.js";
import { requireBpffs } from "../sys/filesystems.js";
import { isMapInMapType, mapTypeFromName } from "../map/types.js";

/** Parses the create grammar, creates the map and pins it at FILE. */
export function createMapForCli(args: Args): void {
  const path = args.next("FILE (where to pin the new map, inside bpffs)");
  let type: number | undefined;
  let key: number | undefined;
  let value: number | undefined;
  let entries: number | undefined;
  let name = "";
  let flags = 0;
  let inner: FD | undefined;
  try {
    while (args.remaining) {
      const w = args.next("keyword");
      if (w === "type") {
        const t = args.next("map TYPE");
        type = mapTypeFromName(t);
        if (type === undefined) throw new UsageError(`unknown map type '${t}'`, args.topic);
      } else if (w === "key") key = args.uint("key size");
      else if (w === "value") value = args.uint("value size");
      else if (w === "entries") entries = args.uint("max entries");
      else if (w === "name") name = args.next("map name");
      else if (w === "flags") flags = args.uint("flags");
      else if (w === "inner_map") {
        if (inner) throw new UsageError("inner_map given twice", args.topic);
        inner = openOneRef("map", parseRef(args, "map"));
      } else throw args.unknown("keyword", w, ["type", "key", "value", "entries", "name", "flags", "inner_map"]);
    }
    if (type === undefined) throw new UsageError("missing 'type TYPE'", args.topic);
    if (key === undefined) throw new UsageError("missing 'key KEY_SIZE'", args.topic);
    if (value === undefined) throw new UsageError("missing 'value VALUE_SIZE'", args.topic);
    if (entries === undefined) throw new UsageError("missing 'entries MAX_ENTRIES'", args.topic);
    if (name.length > 15) throw new UsageError(`map name '${name}' is longer than 15 characters`, args.topic);
    if (isMapInMapType(type) && !inner) throw new UsageError("map-in-map types need 'inner_map MAP'", args.topic);
    // Checked (and bpffs mounted at /sys/fs/bpf if absent and allowed) before the map exists.
    requireBpffs(dirname(path));
    const attr = new Attr(MapCreateAttr);
    attr.set("map_type", type).set("key_size", key).set("value_size", value).set("max_entries", entries)
      .set("map_flags", flags).setString("map_name", name);
    if (inner) attr.set("inner_map_fd", inner.raw);
    const r = bpfRaw(Cmd.MAP_CREATE, attr.address, attr.size);
    if (r < 0) throw errorFromErrno(-r, "BPF_MAP_CREATE", `map create`);
    const fd = new FD(r, "map fd");
    try {
      pinFd(fd, path);
    } finally {
      fd.close();
    }
  } finally {
    inner?.close();
  }
}
