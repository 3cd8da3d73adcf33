// `tsbpf map …`: bpftool's map verbs.
import { didYouMean } from "./suggest.js";
import { Args, UsageError, parseBytes } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { MapAccess } from "./map-access.js";
import { entryErrorJson, entryErrorPlain, entryJson, entryPlain, foundTrailer, mapShowJson, mapShowPlain } from "./map-format.js";
import { openOneRef, openRefs, parseRef, startsRef, withFds } from "./refs.js";
import { createMapForCli } from "./map-create.js";
import { formatHex, jsonHex, strerror } from "./output.js";
import { ENOENT } from "../sys/errno.js";
import { mapShowInfo } from "./kernel-info.js";
import { JsonWriter } from "./json-writer.js";
import { loadMapBtf, writeFormattedEntry } from "./map-btf.js";
import { pinObject } from "./pin.js";
import { mapEventPipeCommand } from "./event-pipe.js";
import { showObjects } from "./show.js";
import { KeyNotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";
import { MapType, isFdValuedType, isKeylessType, isMapInMapType } from "../map/types.js";
import type { MapValue } from "../map.js";

const GRAMMAR = `MAP      := { id MAP_ID | pinned FILE | name MAP_NAME }
DATA     := { [hex] BYTES }        e.g. '1 0 0 0', '0x01 0x02', 'hex 01 02 03'
VALUE    := { DATA | MAP | PROG }  (MAP/PROG for map-in-map and prog_array values)
PROG     := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
UPDATE_FLAGS := { any | exist | noexist }
TYPE     := { hash | array | prog_array | perf_event_array | percpu_hash | percpu_array |
             stack_trace | cgroup_array | lru_hash | lru_percpu_hash | lpm_trie | array_of_maps |
             hash_of_maps | devmap | devmap_hash | sockmap | cpumap | xskmap | sockhash |
             cgroup_storage | reuseport_sockarray | percpu_cgroup_storage | queue | stack |
             sk_storage | struct_ops | ringbuf | inode_storage | task_storage | bloom_filter |
             user_ringbuf | cgrp_storage | arena }
OPTIONS  := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }`;


function withMap<T>(args: Args, body: (m: MapAccess) => T): T {
  const m = MapAccess.adopt(openOneRef("map", parseRef(args, "map")));
  try {
    return body(m);
  } finally {
    m.close();
  }
}

/** Parses `key DATA` (absent for key-less maps). */
function parseKey(args: Args, m: MapAccess, required: boolean): Uint8Array | null {
  if (m.info.keySize === 0) return null;
  if (!args.accept("key")) {
    if (required) throw new UsageError("missing 'key DATA'", args.topic);
    return null;
  }
  return parseBytes(args, m.info.keySize, "key");
}

/**
 * Parses `value VALUE`. prog_array and map-in-map values may name an object
 * (`value id 7`), whose fd is what the kernel wants; the caller closes it.
 * Per-CPU maps get the same value on every CPU, as bpftool does.
 */
function parseValue(args: Args, m: MapAccess): { value: MapValue; fd?: FD } {
  args.expect("value");
  const kind = m.info.type === 3 ? "prog" : "map";
  if (isFdValuedType(m.info.type) && startsRef(args, kind)) {
    const fd = openOneRef(kind, parseRef(args, kind));
    return { value: fd, fd };
  }
  const one = parseBytes(args, m.info.valueSize, "value");
  if (!m.perCpu) return { value: one };
  const step = Math.ceil(m.info.valueSize / 8) * 8;
  const all = new Uint8Array(m.valueBufferSize);
  for (let off = 0; off < all.length; off += step) all.set(one, off);
  return { value: all };
}

function parseUpdateFlags(args: Args): number {
  if (!args.remaining) return 0;
  const w = args.next("UPDATE_FLAGS");
  if (w === "any") return 0;
  if (w === "noexist") return 1;
  if (w === "exist") return 2;
  throw new UsageError(`unknown update flag '${w}'${didYouMean(w, ["any", "noexist", "exist"])} (expected any, noexist or exist)`, args.topic);
}

function printEntry(ctx: Context, m: MapAccess, key: Uint8Array | null, value: Uint8Array): void {
  const k = key ?? new Uint8Array(0);
  const btf = loadMapBtf(m.info);
  if (ctx.out.json) {
    ctx.out.jsonValue(entryJson(k, value, m.info, m.perCpu, btf));
  } else if (btf) {
    // Maps with BTF print as a pretty JSON object, as bpftool does.
    const w = new JsonWriter(true);
    writeFormattedEntry(w, btf, m.info, m.perCpu, k, value, true);
    ctx.out.line(w.text);
  } else {
    ctx.out.line(entryPlain(k, value, m.info, m.perCpu));
  }
}

function show(args: Args, ctx: Context): void {
  showObjects(args, ctx, { kind: "map", read: mapShowInfo, json: mapShowJson, plain: mapShowPlain });
}

function dump(args: Args, ctx: Context): void {
  const ref = parseRef(args, "map");
  args.end();
  withFds(openRefs("map", ref), (fds) => {
    const perMap: Record<string, unknown>[][] = [];
    for (const fd of fds) {
      const m = MapAccess.adopt(fd.dup());
      const entries: Record<string, unknown>[] = [];
      let n = 0;
      const btf = loadMapBtf(m.info);
      // Plain dumps of maps with BTF are one pretty JSON array, without the trailer.
      const writer = !ctx.out.json && btf ? new JsonWriter(true) : undefined;
      writer?.startArray();
      if (!isKeylessType(m.info.type)) {
        try {
          for (const key of m.keys()) {
            const r = m.lookupForDump(key);
            if ("value" in r) {
              n++;
              if (ctx.out.json) entries.push(entryJson(key, r.value, m.info, m.perCpu, btf));
              else if (writer && btf) writeFormattedEntry(writer, btf, m.info, m.perCpu, key, r.value, true);
              else ctx.out.line(entryPlain(key, r.value, m.info, m.perCpu));
              continue;
            }
            // As bpftool: map-in-map and prog array slots that fail to read are
            // skipped silently; other failures are shown in place of the value.
            if (isMapInMapType(m.info.type) || m.info.type === MapType.ProgArray) continue;
            if (ctx.out.json) {
              entries.push(entryErrorJson(key, strerror(r.errno)));
            } else {
              if (writer) ctx.out.text(writer.take());
              ctx.out.line(entryErrorPlain(key, m.info, r.errno === ENOENT ? "<no entry>" : strerror(r.errno)));
            }
          }
        } finally {
          m.close();
        }
      } else {
        m.close();
      }
      if (ctx.out.json) perMap.push(entries);
      else if (writer) {
        writer.endArray();
        ctx.out.line(writer.take());
      } else ctx.out.line(foundTrailer(n));
    }
    if (ctx.out.json) ctx.out.jsonValue(perMap.length === 1 ? perMap[0] : perMap);
  });
}

/** The `map` object of the CLI. */
export const mapCommands: ObjectCommands = {
  name: "map",
  summary: "create, inspect and edit maps",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } [MAP]", examples: ["tsbpf map show", "tsbpf -j map show pinned /sys/fs/bpf/counts"], run: show },
    { name: "list", synopsis: "{ show | list } [MAP]", examples: ["tsbpf map list name counts"], run: show },
    {
      name: "dump",
      synopsis: "dump MAP",
      examples: ["tsbpf map dump pinned /sys/fs/bpf/counts", "tsbpf -j map dump name exec_start"],
      run: dump,
    },
    {
      name: "update",
      synopsis: "update MAP [key DATA] [value VALUE] [UPDATE_FLAGS]",
      examples: ["tsbpf map update pinned /sys/fs/bpf/counts key 1 0 0 0 value hex 2a 00 00 00 00 00 00 00 noexist"],
      run(args, ctx) {
        withMap(args, (m) => {
          const key = parseKey(args, m, true);
          const { value, fd } = parseValue(args, m);
          try {
            const flags = parseUpdateFlags(args);
            args.end();
            m.update(key, value, flags);
          } finally {
            fd?.close();
          }
          if (ctx.out.json) ctx.out.jsonValue(null);
        });
      },
    },
    {
      name: "lookup",
      synopsis: "lookup MAP [key DATA]",
      examples: ["tsbpf map lookup pinned /sys/fs/bpf/counts key 1 0 0 0"],
      run(args, ctx) {
        return withMap(args, (m) => {
          const key = parseKey(args, m, true);
          args.end();
          const value = m.lookup(key);
          if (value) {
            printEntry(ctx, m, key, value);
            return 0;
          }
          // bpftool reports a missing key on stdout and fails.
          if (ctx.out.json) ctx.out.jsonValue(null);
          else ctx.out.line(`key:\n${formatHex(key ?? new Uint8Array(0))}\n\nNot found`);
          return 1;
        });
      },
    },
    {
      name: "getnext",
      synopsis: "getnext MAP [key DATA]",
      examples: ["tsbpf map getnext pinned /sys/fs/bpf/config key 0 0 0 0"],
      run(args, ctx) {
        withMap(args, (m) => {
          const key = parseKey(args, m, false);
          args.end();
          const next = m.nextKey(key);
          if (!next) throw new KeyNotFoundError(key ? "can't get next key: the given key is the last one" : "can't get next key: the map is empty");
          if (ctx.out.json) ctx.out.jsonValue({ key: key ? jsonHex(key) : null, next_key: jsonHex(next) });
          else ctx.out.line(`${key ? `key:\n${formatHex(key)}` : "key: None"}\nnext key:\n${formatHex(next)}`);
        });
      },
    },
    {
      name: "delete",
      synopsis: "delete MAP key DATA",
      examples: ["tsbpf map delete pinned /sys/fs/bpf/counts key 1 0 0 0"],
      run(args, ctx) {
        withMap(args, (m) => {
          const key = parseKey(args, m, true);
          args.end();
          if (!key) throw new UsageError("this map type has no keys to delete", args.topic);
          m.delete(key);
          if (ctx.out.json) ctx.out.jsonValue(null);
        });
      },
    },
    { name: "pin", synopsis: "pin MAP FILE", examples: ["tsbpf map pin name exec_start /sys/fs/bpf/exec_start"], run: (args, ctx) => pinObject(args, ctx, "map") },
    mapEventPipeCommand,
    {
      name: "create",
      synopsis: "create FILE type TYPE key KEY_SIZE value VALUE_SIZE entries MAX_ENTRIES name NAME [flags FLAGS] [inner_map MAP]",
      examples: [
        "tsbpf map create /sys/fs/bpf/flows type hash key 4 value 8 entries 1024 name flows",
        "tsbpf map create /sys/fs/bpf/outer type array_of_maps key 4 value 4 entries 8 name outer inner_map pinned /sys/fs/bpf/inner",
      ],
      run(args, ctx) {
        createMapForCli(args);
        if (ctx.out.json) ctx.out.jsonValue(null);
      },
    },
    { name: "peek", synopsis: "peek MAP", examples: ["tsbpf map peek pinned /sys/fs/bpf/queue"], run: (args, ctx) => popOrPeek(args, ctx, false) },
    {
      name: "push",
      synopsis: "{ push | enqueue } MAP value VALUE",
      examples: ["tsbpf map push pinned /sys/fs/bpf/queue value 1 0 0 0"],
      run: pushValue,
    },
    { name: "enqueue", synopsis: "{ push | enqueue } MAP value VALUE", run: pushValue },
    { name: "pop", synopsis: "{ pop | dequeue } MAP", examples: ["tsbpf map pop pinned /sys/fs/bpf/queue"], run: (args, ctx) => popOrPeek(args, ctx, true) },
    { name: "dequeue", synopsis: "{ pop | dequeue } MAP", run: (args, ctx) => popOrPeek(args, ctx, true) },
    {
      name: "freeze",
      synopsis: "freeze MAP",
      examples: ["tsbpf map freeze pinned /sys/fs/bpf/config"],
      run(args, ctx) {
        withMap(args, (m) => {
          args.end();
          m.freeze();
        });
        if (ctx.out.json) ctx.out.jsonValue(null);
      },
    },
  ],
};

function pushValue(args: Args, ctx: Context): void {
  withMap(args, (m) => {
    const { value, fd } = parseValue(args, m);
    try {
      args.end();
      m.update(null, value, 0);
    } finally {
      fd?.close();
    }
  });
  if (ctx.out.json) ctx.out.jsonValue(null);
}

function popOrPeek(args: Args, ctx: Context, pop: boolean): void {
  withMap(args, (m) => {
    args.end();
    if (!isKeylessType(m.info.type)) throw new UsageError(`${pop ? "pop" : "peek"} works on queue and stack maps`, args.topic);
    const value = pop ? m.pop() : m.lookup(null);
    if (!value) throw new KeyNotFoundError(`${pop ? "pop" : "peek"} failed: the map is empty`);
    printEntry(ctx, m, null, value);
  });
}
