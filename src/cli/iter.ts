// `tsbpf iter pin OBJ PATH [map MAP]`: bpftool's verb that loads an object,
// attaches its first program as a BPF iterator (over MAP's elements for map
// iterators) and pins the iterator link at PATH, where every read of the
// file (`cat PATH`) runs the iterator afresh.
import { dirname } from "node:path";
import type { Args } from "./args.js";
import { debugLog } from "./output.js";
import type { Context, ObjectCommands } from "./command.js";
import { openOneRef, parseRef, withFds } from "./refs.js";
import { Collection } from "../collection.js";
import { loadObjectSpec } from "../object/object-spec.js";
import { AttachType, ProgramType } from "../program/types.js";
import { linkCreate } from "../sys/link.js";
import { pinFd } from "../sys/objects.js";
import { requireBpffs } from "../sys/filesystems.js";
import { BpfError, InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import type { FD } from "../sys/fd.js";

const GRAMMAR = `MAP     := { id MAP_ID | pinned FILE | name MAP_NAME }
OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

The first program of OBJ must be an iterator (SEC("iter/TARGET")); 'map MAP'
gives map-element iterators (iter/bpf_map_elem, iter/bpf_sk_storage_map …) their map.`;

/** Iterator targets that walk one map, given by `map MAP`. */
const MAP_TARGETS = new Set(["bpf_map_elem", "bpf_sk_storage_map", "sockmap"]);

function pin(args: Args, ctx: Context): void {
  const object = args.next("OBJ (a BPF object file)");
  const path = args.next("PATH (where to pin the iterator, in bpffs)");
  let mapRef;
  if (args.remaining) {
    args.expect("map");
    mapRef = parseRef(args, "map");
  }
  args.end();
  requireBpffs(dirname(path), { mount: !ctx.options.nomount });
  const map = mapRef ? openOneRef("map", mapRef) : undefined;
  withFds(map ? [map] : [], () => {
    using collection = Collection.load(loadObjectSpec(object), { debug: debugLog(ctx.options) });
    // bpftool takes the object's first program.
    const first = collection.programs.entries().next();
    if (first.done) throw new NotFoundError(`can't find bpf program in objfile ${object}`);
    const [name, program] = first.value;
    if (program.type !== ProgramType.Tracing || !/^iter(\.s)?\//.test(program.sectionName ?? "")) {
      throw new InvalidArgumentError(`program ${name} (SEC("${program.sectionName ?? "?"}")) is not an iterator: the first program of ${object} must be in SEC("iter/TARGET")`, "program");
    }
    const target = /^iter(?:\.s)?\/(.*)$/.exec(program.sectionName ?? "")?.[1] ?? "";
    // The kernel reads link_info by the iterator's target: for a task iterator a map fd would be taken for a thread id.
    if (map && !MAP_TARGETS.has(target)) {
      throw new InvalidArgumentError(`'map MAP' is for map iterators (${[...MAP_TARGETS].join(", ")}); program ${name} iterates '${target}'`, "map");
    }
    let link: FD;
    try {
      link = linkCreate({ progFd: program.fd, attachType: AttachType.TraceIter, ...(map ? { iterInfo: { map } } : {}) });
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      throw new BpfError(e.code, `attach_iter failed for program ${name}${map ? " with the map given" : ""}: ${e.message}`, { errno: e.errno, cause: e });
    }
    // The pin keeps the iterator; this process's fds close with the collection.
    withFds([link], () => pinFd(link, path));
  });
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** The `iter` object of the CLI. */
export const iterCommands: ObjectCommands = {
  name: "iter",
  summary: "pin BPF iterators",
  grammar: GRAMMAR,
  // `bpftool iter` alone prints its help.
  bare: "help",
  commands: [
    { name: "pin", synopsis: "pin OBJ PATH [map MAP]", examples: ["tsbpf iter pin examples/ps/ps.bpf.o /sys/fs/bpf/tasks && cat /sys/fs/bpf/tasks"], run: pin },
  ],
};
