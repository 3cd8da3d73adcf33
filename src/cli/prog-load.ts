// `tsbpf prog load` and `tsbpf prog loadall`: bpftool's verbs that load an
// object file (CO-RE included) and pin its programs, so they outlive the
// command. Loading is Collection.load; this file only parses the grammar,
// pins, and undoes its pins when something fails half-way.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Args, UsageError } from "./args.js";
import type { Command, Context } from "./command.js";
import { Collection } from "../collection.js";
import { loadObjectSpec } from "../object/object-spec.js";
import type { ObjectSpec } from "../object/object-spec.js";
import { sectionLoadFlags, sectionType } from "../object/section-types.js";
import { unpinPath } from "../sys/objects.js";

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
    type: undefined, pinMaps: undefined, btf: undefined, program: undefined,
  };
  while (args.remaining) {
    const w = args.next("keyword");
    if (w === "type") req.type = args.next("TYPE (e.g. xdp, tracepoint, kprobe)");
    else if (w === "pinmaps") req.pinMaps = args.next("pinmaps DIR");
    else if (w === "--btf" || w === "btf") req.btf = args.next("BTF FILE");
    else if (single && (w === "--program" || w === "program")) req.program = args.next("program NAME");
    else if (w === "map" || w === "offload_dev" || w === "xdpmeta_dev" || w === "autoattach") {
      throw new UsageError(`'${w}' is not supported by tsbpf`, args.topic);
    } else throw new UsageError(`unknown keyword '${w}'`, args.topic);
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

/** Loads the object and pins what was asked; on failure removes every pin it made. */
function loadAndPin(req: LoadRequest, single: boolean, topic: string): void {
  const spec = loadObjectSpec(req.object);
  if (req.type !== undefined) applyType(spec, req.type, topic);
  const only = single ? chooseProgram(spec, req.program, topic) : undefined;
  const collection = Collection.load(spec, {
    ...(req.btf !== undefined ? { btf: req.btf } : {}),
    ...(only !== undefined ? { programs: [only] } : {}),
  });
  const pinned: string[] = [];
  try {
    if (only !== undefined) {
      collection.program(only).pin(req.pinPath);
      pinned.push(req.pinPath);
    } else {
      // As bpftool: PATH is a directory (created if missing), one pin per program name.
      mkdirSync(req.pinPath, { recursive: true });
      for (const [name, p] of collection.programs) {
        const at = path.join(req.pinPath, name);
        p.pin(at);
        pinned.push(at);
      }
    }
    if (req.pinMaps !== undefined) {
      mkdirSync(req.pinMaps, { recursive: true });
      for (const [key, m] of collection.maps) {
        // bpffs reserves '.' in names (EPERM), so, as libbpf, ".rodata" maps pin as "_rodata".
        const at = path.join(req.pinMaps, (spec.maps.get(key)?.name ?? key).replace(/\./g, "_"));
        m.pin(at);
        pinned.push(at);
      }
    }
  } catch (e) {
    for (const p of pinned.reverse()) {
      try {
        unpinPath(p);
      } catch {
        // Best effort: report the first failure, not the clean-up's.
      }
    }
    throw e;
  } finally {
    // The pins keep the programs and maps alive; this process's fds are not needed.
    collection.close();
  }
}

function run(args: Args, ctx: Context, single: boolean): void {
  const req = parseRequest(args, single);
  loadAndPin(req, single, args.topic);
  // bpftool prints nothing on success, `null` in JSON mode.
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** `prog load OBJ PATH …`: one program (the first, or `--program NAME`) pinned at PATH. */
export const progLoadCommand: Command = {
  name: "load",
  synopsis: "load OBJ PATH [type TYPE] [pinmaps DIR] [--btf FILE] [--program NAME]",
  examples: ["tsbpf prog load opensnoop.bpf.o /sys/fs/bpf/opensnoop program tracepoint__syscalls__sys_enter_openat"],
  run: (args, ctx) => run(args, ctx, true),
};

/** `prog loadall OBJ PATH …`: every program pinned at PATH/<program name>. */
export const progLoadAllCommand: Command = {
  name: "loadall",
  synopsis: "loadall OBJ PATH [type TYPE] [pinmaps DIR] [--btf FILE]",
  examples: ["tsbpf prog loadall opensnoop.bpf.o /sys/fs/bpf/opensnoop pinmaps /sys/fs/bpf/opensnoop_maps"],
  run: (args, ctx) => run(args, ctx, false),
};
