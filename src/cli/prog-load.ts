// `tsbpf prog load` and `tsbpf prog loadall`: bpftool's verbs that load an
// object file (CO-RE included) and pin its programs, so they outlive the
// command. Loading is Collection.load; this file parses the grammar, applies
// `type TYPE`, and pins everything at once or nothing (sys/pin-staging.ts).
import path from "node:path";
import { Args, UsageError } from "./args.js";
import type { Command, Context } from "./command.js";
import { debugLog } from "./output.js";
import { Collection } from "../collection.js";
import { loadObjectSpec } from "../object/object-spec.js";
import type { ObjectSpec } from "../object/object-spec.js";
import { sectionLoadFlags, sectionType } from "../object/section-types.js";
import { UnknownSectionError } from "../object/errors.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { pinFd } from "../sys/objects.js";
import { PinStaging } from "../sys/pin-staging.js";
import { MapType } from "../map/types.js";
import type { Link } from "../link/link.js";

/**
 * bpftool's `autoattach`: every program whose SEC() names its target is
 * attached (Collection.attach) and its BPF link is what gets pinned, so
 * removing the pin detaches it; the others fall back to a program pin, with
 * bpftool's notice. struct_ops maps are not registered (`struct_ops register`
 * does that), as bpftool's loadall leaves them.
 */
function autoAttach(collection: Collection, quiet: boolean): Map<string, Link> {
  const structOps = [...collection.maps].filter(([, m]) => m.type === MapType.StructOps).map(([name]) => name);
  const attachment = collection.attach({ skip: structOps });
  const links = new Map<string, Link>();
  for (const [name, link] of attachment.byName) if (link.isBpfLink) links.set(name, link);
  for (const name of collection.programs.keys()) {
    if (!links.has(name) && !quiet) process.stderr.write(`Program ${name} does not support autoattach, falling back to pinning\n`);
  }
  return links;
}

/** The words after `prog load`/`prog loadall`. */
interface LoadRequest {
  object: string;
  pinPath: string;
  /** bpftool's `type TYPE`: a SEC()-style name ("xdp", "tracepoint", "kprobe") applied to every program. */
  type: string | undefined;
  /** `pinmaps DIR`: pin every map at DIR/<map name>. */
  pinMaps: string | undefined;
  /** `--btf FILE` (or `btf FILE`): relocate against this BTF instead of the running kernel's. */
  btf: string | undefined;
  /** `--program NAME` (or `program NAME`), `load` only: the program to load instead of the first. */
  program: string | undefined;
  /** `autoattach`: attach each program whose SEC() names its target and pin its link where the program would be pinned. */
  autoattach: boolean;
}

/**
 * Parses `OBJ PATH [type TYPE] [pinmaps DIR] [--btf FILE] [--program NAME]`.
 * `--btf`/`--program` reach the command only when the global option parser
 * passes them through (or after `--`); the bare keywords always work.
 */
function parseRequest(args: Args, single: boolean): LoadRequest {
  const req: LoadRequest = {
    object: args.next("OBJ (a BPF object file)"),
    pinPath: args.next(single ? "PATH (where to pin the program, in bpffs)" : "PATH (a bpffs directory for the pins)"),
    type: undefined, pinMaps: undefined, btf: undefined, program: undefined, autoattach: false,
  };
  while (args.remaining) {
    const w = args.next("keyword");
    if (w === "type") req.type = args.next("TYPE (e.g. xdp, tracepoint, kprobe)");
    else if (w === "pinmaps") req.pinMaps = args.next("pinmaps DIR");
    else if (w === "--btf" || w === "btf") req.btf = args.next("BTF FILE");
    else if (single && (w === "--program" || w === "program")) req.program = args.next("program NAME");
    else if (w === "autoattach") req.autoattach = true;
    else if (w === "map" || w === "offload_dev" || w === "xdpmeta_dev") {
      throw new UsageError(`'${w}' is not supported by tsbpf`, args.topic);
    } else throw args.unknown("keyword", w, ["type", "pinmaps", "autoattach", "btf", ...(single ? ["program"] : [])]);
  }
  return req;
}

/** Applies bpftool's `type TYPE` to every program: TYPE is read the way a SEC() name is. */
function applyType(spec: ObjectSpec, type: string, topic: string): void {
  const t = sectionType(type);
  if (!t) throw new UsageError(`unknown program type '${type}' (write it as a SEC() name: xdp, tc, tracepoint, kprobe, socket …)`, topic);
  for (const p of spec.programs.values()) p.setType(t.type, t.expectedAttachType, sectionLoadFlags(t));
}

/** The program `load` pins: the named one, else the first in the object (bpftool's choice). */
function chooseProgram(spec: ObjectSpec, name: string | undefined, topic: string): string {
  if (name !== undefined) {
    if (!spec.programs.has(name)) throw new UsageError(`the object has no program '${name}' (it has: ${[...spec.programs.keys()].join(", ")})`, topic);
    return name;
  }
  const first = spec.programs.keys().next();
  if (first.done) throw new UsageError("the object has no programs", topic);
  return first.value;
}

/** The library's advice (programTypes, setType()) in the CLI's words: `type TYPE`. */
function unknownSection(section: string, program: string | undefined, topic: string): UsageError {
  return new UsageError(
    `program${program ? ` '${program}'` : ""} is in section '${section}', which names no known program type: ` +
      "give the type with `type TYPE` (a SEC() name such as socket, xdp, tracepoint, kprobe)", topic,
  );
}

/** Library errors whose advice is an API call (setType(), spec.maps…), reworded for the command line. */
function forCliUsers(e: unknown, topic: string): unknown {
  if (e instanceof UnknownSectionError) return unknownSection(e.section ?? "?", e.symbol, topic);
  if (e instanceof InvalidArgumentError && e.field === "maxEntries") {
    const map = /^map '([^']*)'/.exec(e.message)?.[1] ?? "?";
    return new InvalidArgumentError(`map '${map}' has max_entries 0: the object expects its own loader to size it at run time, ` +
      "which `prog load` cannot do (bpftool cannot either)", "maxEntries", { cause: e });
  }
  return e;
}

/**
 * Reads the object as bpftool does: unknown SEC() names are accepted at first,
 * since `type TYPE` (applied to every program) may name the type; only a
 * program that is to be loaded and still has no type is refused.
 */
function readSpec(req: LoadRequest, topic: string): ObjectSpec {
  let spec: ObjectSpec;
  try {
    spec = loadObjectSpec(req.object, { allowUnknownSections: true });
  } catch (e) {
    throw forCliUsers(e, topic);
  }
  if (req.type !== undefined) applyType(spec, req.type, topic);
  return spec;
}

/**
 * Loads the object and pins what was asked, all pins at once or none (see
 * sys/pin-staging.ts): the destinations are checked to be on bpffs (mounted
 * at /sys/fs/bpf if absent and allowed) before anything is loaded.
 */
function loadAndPin(req: LoadRequest, single: boolean, topic: string, quiet: boolean, debug: ((message: string) => void) | undefined): void {
  const spec = readSpec(req, topic);
  const only = single ? chooseProgram(spec, req.program, topic) : undefined;
  for (const p of spec.programs.values()) {
    if (!p.hasType && (only === undefined ? p.autoload : p.name === only)) throw unknownSection(p.sectionName, p.name, topic);
  }
  const destinations = [single ? path.dirname(req.pinPath) : req.pinPath];
  if (req.pinMaps !== undefined) destinations.push(req.pinMaps);
  const staging = new PinStaging(destinations);
  let collection: Collection | undefined;
  try {
    collection = Collection.load(spec, {
      ...(req.btf !== undefined ? { btf: req.btf } : {}),
      ...(only !== undefined ? { programs: [only] } : {}),
      ...(debug ? { debug } : {}),
    });
    // As bpftool: `load` pins at PATH, `loadall` at PATH/<program name> (PATH is a directory).
    const pinPathOf = (name: string): string => (only !== undefined ? req.pinPath : path.join(req.pinPath, name));
    const attached = req.autoattach ? autoAttach(collection, quiet) : new Map<string, Link>();
    for (const [name, p] of collection.programs) {
      const link = attached.get(name);
      pinFd(link ? link.fd : p.fd, staging.stage(pinPathOf(name)));
    }
    if (req.pinMaps !== undefined) {
      for (const [key, m] of collection.maps) {
        // bpffs reserves '.' in names (EPERM), so, as libbpf, ".rodata" maps pin as "_rodata".
        const name = (spec.maps.get(key)?.name ?? key).replace(/\./g, "_");
        pinFd(m.fd, staging.stage(path.join(req.pinMaps, name)));
      }
    }
    staging.commit();
  } catch (e) {
    staging.abort();
    throw forCliUsers(e, topic);
  } finally {
    // The pins keep the programs and maps alive; this process's fds are not needed.
    collection?.close();
  }
}

function run(args: Args, ctx: Context, single: boolean): void {
  const req = parseRequest(args, single);
  loadAndPin(req, single, args.topic, ctx.out.json, debugLog(ctx.options));
  // bpftool prints nothing on success, `null` in JSON mode.
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** `prog load OBJ PATH …`: one program (the first, or `--program NAME`) pinned at PATH. */
export const progLoadCommand: Command = {
  name: "load",
  synopsis: "load OBJ PATH [type TYPE] [pinmaps DIR] [autoattach] [--btf FILE] [--program NAME]",
  examples: ["tsbpf prog load examples/opensnoop/opensnoop.bpf.o /sys/fs/bpf/openat program enter_openat"],
  run: (args, ctx) => run(args, ctx, true),
};

/** `prog loadall OBJ PATH …`: every program pinned at PATH/<program name>. */
export const progLoadAllCommand: Command = {
  name: "loadall",
  synopsis: "loadall OBJ PATH [type TYPE] [pinmaps DIR] [autoattach] [--btf FILE]",
  examples: [
    "tsbpf prog loadall examples/opensnoop/opensnoop.bpf.o /sys/fs/bpf/opensnoop pinmaps /sys/fs/bpf/opensnoop_maps",
    "tsbpf prog loadall examples/bootstrap/bootstrap.bpf.o /sys/fs/bpf/bootstrap autoattach   # rm -r the directory to detach",
  ],
  run: (args, ctx) => run(args, ctx, false),
};
