// `tsbpf struct_ops …`: bpftool's verbs for struct_ops maps — show/list the
// registered ones, dump their kernel-side value (bpf_map_info and the
// bpf_struct_ops_<struct> value formatted with the kernel's BTF, function
// pointers as "signature prog_name/prog_id:N"), register every struct_ops
// map of an object, unregister one.
import { didYouMean } from "./suggest.js";
import path from "node:path";
import { Args, UsageError } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { JsonEmitter, JsonWriter, writeJsonValue } from "./json-writer.js";
import { withFds } from "./refs.js";
import { kernelBtf } from "../btf/discovery.js";
import type { Btf } from "../btf/btf.js";
import { writeBtfValue } from "../btf/format-value.js";
import { typeSignature } from "../btf/signature.js";
import { readKernelBtfById } from "../btf/kernel.js";
import { BpfMap } from "../map.js";
import { MapType } from "../map/types.js";
import { Collection } from "../collection.js";
import { loadObjectSpec } from "../object/object-spec.js";
import { readProgramInfo } from "../program/info.js";
import { stableBytes } from "../sys/attr.js";
import { allIds, fdById, infoByFd } from "../sys/objects.js";
import { mapShowInfo, type MapShowInfo } from "./kernel-info.js";
import { BpfError, NotFoundError, NotSupportedError } from "../sys/errors.js";
import { ensureBpffsDir } from "../sys/filesystems.js";
import type { FD } from "../sys/fd.js";
import { debugLog, strerror } from "./output.js";

const GRAMMAR = `STRUCT_OPS_MAP := [ id STRUCT_OPS_MAP_ID | name STRUCT_OPS_MAP_NAME ]
OPTIONS        := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

'register' registers every struct_ops map of OBJ; those of SEC(".struct_ops.link")
are registered through a BPF link, pinned at LINK_DIR/<map name> so that they stay
registered (without LINK_DIR they end with the command). Plain SEC(".struct_ops")
maps stay registered until 'unregister'.`;

const VALUE_PREFIX = "bpf_struct_ops_";
/** BPF_F_LINK: the map is registered through a link. */
const BPF_F_LINK = 1 << 13;
const KEY_ZERO = new Uint8Array(4);

/** A struct_ops map found by a search: its fd (owned by the search) and what bpftool reads about it. */
interface Found {
  fd: FD;
  info: MapShowInfo;
}

/** `[id ID | name NAME]`, as bpftool reads it (exactly two words, or none when `optional`). */
function parseSelector(args: Args, optional: boolean): { by: "id"; id: number } | { by: "name"; name: string } | undefined {
  if (!args.remaining && optional) return undefined;
  const how = args.next("STRUCT_OPS_MAP (id ID | name NAME)");
  let sel: { by: "id"; id: number } | { by: "name"; name: string };
  if (how.length > 0 && "id".startsWith(how)) {
    const id = args.uint("struct_ops map id");
    if (id === 0) throw new UsageError("invalid id 0", args.topic);
    sel = { by: "id", id };
  } else if (how.length > 0 && "name".startsWith(how)) sel = { by: "name", name: args.next("struct_ops map name") };
  else throw new UsageError(`expected 'id' or 'name' to select a struct_ops map, got '${how}'${didYouMean(how, ["id", "name"])}`, args.topic);
  args.end();
  return sel;
}

/** Every struct_ops map (optionally only those named `name`), in id order; the caller closes the fds. */
function search(name: string | undefined): Found[] {
  const found: Found[] = [];
  try {
    for (const id of allIds("map")) {
      let fd: FD;
      try {
        fd = fdById("map", id);
      } catch (e) {
        if (e instanceof NotFoundError) continue; // gone while listing
        throw e;
      }
      const info = mapShowInfo(fd);
      if (info.type === MapType.StructOps && (name === undefined || info.name === name)) found.push({ fd, info });
      else fd.close();
    }
  } catch (e) {
    for (const f of found) f.fd.close();
    throw e;
  }
  return found;
}

/** The one map `id` names; it must be a struct_ops map. */
function byId(id: number): Found {
  let fd: FD;
  try {
    fd = fdById("map", id);
  } catch (e) {
    if (e instanceof BpfError && e.errno !== undefined) throw new NotFoundError(`can't get map by id (${id}): ${strerror(e.errno)}`, { errno: e.errno });
    throw e;
  }
  const info = mapShowInfo(fd);
  if (info.type !== MapType.StructOps) {
    fd.close();
    throw new NotFoundError(`${info.name} id ${info.id} is not a struct_ops map`);
  }
  return { fd, info };
}

/** The kernel struct a struct_ops map implements ("tcp_congestion_ops"). */
function kernelStructName(btf: Btf, info: MapShowInfo): string {
  return btf.nameOf(info.btfVmlinuxValueTypeId).slice(VALUE_PREFIX.length);
}

/** Runs `work` on the selected maps: bpftool's do_search / do_one_id, with their outputs. */
function select(args: Args, optional: boolean): { found: Found[]; byId: boolean; name: string | undefined } {
  const sel = parseSelector(args, optional);
  if (sel?.by === "id") return { found: [byId(sel.id)], byId: true, name: undefined };
  const name = sel?.name;
  return { found: search(name), byId: false, name };
}

function show(args: Args, ctx: Context): void {
  const { found, byId: one, name } = select(args, true);
  withFds(found.map((f) => f.fd), () => {
    const btf = kernelBtf();
    const rows = found.map((f) => ({ id: f.info.id, name: f.info.name, kernel_struct_ops: kernelStructName(btf, f.info) }));
    if (ctx.out.json) ctx.out.jsonValue(one ? rows[0] : rows);
    else for (const r of rows) ctx.out.line(`${r.id}: ${r.name.padEnd(15)} ${r.kernel_struct_ops.padEnd(32)}`);
  });
  if (name !== undefined && found.length === 0) throw new NotFoundError(`no struct_ops found for ${name}`);
}

/** "signature prog_name/prog_id:N" (or "signature 0" for an empty slot), as bpftool prints a struct_ops function pointer. */
function funcPointerText(btf: Btf, protoId: number, progId: number): string | undefined {
  const sig = typeSignature(btf, protoId);
  if (!sig) return undefined;
  if (!progId) return `${sig} 0`;
  return `${sig} ${programFuncName(progId) ?? "<unknown_prog_name>"}/prog_id:${progId}`;
}

/** The name of a program's main function, from its BTF (what bpftool prints beside a prog id). */
function programFuncName(id: number): string | undefined {
  try {
    using fd = fdById("prog", id);
    const info = readProgramInfo(fd);
    const first = info.funcInfo[0];
    if (!info.btfId || !first) return undefined;
    return readKernelBtfById(info.btfId).btf.nameOf(first.typeId);
  } catch (e) {
    if (e instanceof BpfError) return undefined;
    throw e;
  }
}

/** The map's bpf_map_info as the kernel's BTF describes it (all of it, as bpftool reads it at the kernel's size). */
function rawMapInfo(btf: Btf, fd: FD): { typeId: number; bytes: Uint8Array } {
  const typeId = btf.idsByName("bpf_map_info").find((i) => btf.typeById(i).kind === "STRUCT");
  if (typeId === undefined) throw new NotSupportedError("struct_ops dump: the kernel's BTF has no struct bpf_map_info");
  const bytes = stableBytes(btf.sizeOf(typeId));
  infoByFd(fd, bytes);
  return { typeId, bytes };
}

function dump(args: Args, ctx: Context): void {
  const { found, byId: one, name } = select(args, true);
  withFds(found.map((f) => f.fd), () => {
    const btf = kernelBtf();
    const plain = !ctx.out.json;
    const options = { plain, markers: true, funcPointer: (proto: number, id: number) => funcPointerText(btf, proto, id) };
    const objects: Record<string, unknown>[] = [];
    for (const f of found) {
      const mapInfo = rawMapInfo(btf, f.fd);
      using map = BpfMap.fromFd(f.fd.dup());
      const value = map.lookup(KEY_ZERO);
      objects.push({ bpf_map_info: new JsonEmitter((w) => writeBtfValue(w, btf, mapInfo.typeId, mapInfo.bytes, options)) });
      objects.push({ [btf.nameOf(f.info.btfVmlinuxValueTypeId)]: new JsonEmitter((w) => writeBtfValue(w, btf, f.info.btfVmlinuxValueTypeId, value, options)) });
    }
    // Without -j bpftool prints the same document, indented. By id (bpftool 7.1) the two objects stand at top level, unwrapped.
    const w = new JsonWriter(plain || ctx.out.pretty);
    if (one) for (const o of objects) writeJsonValue(w, o);
    else writeJsonValue(w, objects);
    ctx.out.line(w.text);
  });
  if (name !== undefined && found.length === 0) throw new NotFoundError(`no struct_ops found for ${name}`);
}

function unregister(args: Args, ctx: Context): void {
  const sel = parseSelector(args, false);
  const found = sel?.by === "id" ? [byId(sel.id)] : search(sel?.name);
  withFds(found.map((f) => f.fd), () => {
    if (found.length === 0) throw new NotFoundError(`no struct_ops found for ${sel?.by === "name" ? sel.name : "?"}`);
    const btf = kernelBtf();
    for (const f of found) {
      const what = `${kernelStructName(btf, f.info)} ${f.info.name} id ${f.info.id}`;
      const map = BpfMap.fromFd(f.fd.dup());
      try {
        map.delete(KEY_ZERO);
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        const viaLink = (f.info.flags & BPF_F_LINK) !== 0 ? " (it is registered through a link: 'tsbpf link detach' or remove the link's pin)" : "";
        throw new BpfError(e.code, `can't unload ${what}: ${e.errno !== undefined ? strerror(e.errno) : e.message}${viaLink}`, { errno: e.errno });
      } finally {
        map.close();
      }
      if (!ctx.out.json) process.stderr.write(`Unregistered ${what}\n`);
    }
  });
  if (ctx.out.json) ctx.out.jsonValue(null);
}

function register(args: Args, ctx: Context): void {
  const file = args.next("OBJ (a BPF object file)");
  const linkDir = args.remaining ? args.next("LINK_DIR") : undefined;
  args.end();
  if (linkDir !== undefined) ensureBpffsDir(linkDir, { mount: !ctx.options.nomount });
  const c = Collection.load(loadObjectSpec(file), { debug: debugLog(ctx.options) });
  let registered = 0;
  try {
    const btf = kernelBtf();
    for (const [key, map] of c.maps) {
      if (map.type !== MapType.StructOps) continue;
      const link = c.attachStructOps(key);
      registered++;
      const info = mapShowInfo(map.fd);
      const what = `${kernelStructName(btf, info)} ${info.name}`;
      if (!link.isBpfLink) {
        if (!ctx.out.json) process.stderr.write(`Registered ${what} id ${info.id}\n`);
        continue;
      }
      if (linkDir !== undefined) link.pin(path.join(linkDir, info.name));
      if (!ctx.out.json) process.stderr.write(`Registered ${what} map id ${info.id} link id ${link.id}\n`);
    }
    if (registered === 0) throw new NotFoundError(`no struct_ops found in ${file}`);
  } catch (e) {
    c.close();
    throw e;
  }
  // Plain .struct_ops maps stay registered only if nothing deletes their value: the
  // collection is left to the process exit (closing its fds), not closed, which would
  // unregister them. Links end with their last fd unless pinned above.
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** The `struct_ops` object of the CLI. */
export const structOpsCommands: ObjectCommands = {
  name: "struct_ops",
  summary: "show, dump, register and unregister struct_ops maps",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } [STRUCT_OPS_MAP]", examples: ["tsbpf struct_ops show", "tsbpf -j struct_ops show"], run: show },
    { name: "list", synopsis: "{ show | list } [STRUCT_OPS_MAP]", examples: ["tsbpf struct_ops list"], run: show },
    { name: "register", synopsis: "register OBJ [LINK_DIR]", examples: ["tsbpf struct_ops register tcp_reno.bpf.o /sys/fs/bpf/tcp_reno"], run: register },
    { name: "unregister", synopsis: "unregister STRUCT_OPS_MAP", examples: ["tsbpf struct_ops unregister name tsbpf_plain"], run: unregister },
    { name: "dump", synopsis: "dump [STRUCT_OPS_MAP]", examples: ["tsbpf struct_ops dump name tsbpf_reno"], run: dump },
  ],
};
