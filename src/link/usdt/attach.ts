// attachUsdt: a kprobe-type program on every site of one USDT probe
// (provider:name) of a binary, so that programs built with libbpf's
// <bpf/usdt.bpf.h> (bpf_usdt_arg, BPF_USDT) work unchanged: each distinct
// argument layout gets a spec id and its struct __bpf_usdt_spec in the
// __bpf_usdt_specs map; the program finds the id through its bpf cookie,
// or — on kernels without cookies — through __bpf_usdt_ip_to_spec_id keyed
// by the probe's address. Semaphores are bumped by the kernel (ref_ctr).
// All sites go into one uprobe.multi link where the program was loaded for
// it (Linux 6.6; the collection loader does so by default, as libbpf does,
// see ObjectProgramSpec.usdtUprobeMulti), else one uprobe per site, all held
// by one Link.
import type { Program } from "../../program/program.js";
import { AttachType, ProgramType, programTypeName } from "../../program/types.js";
import { linkCreate } from "../../sys/link.js";
import type { FD } from "../../sys/fd.js";
import { BusyError, InvalidArgumentError, NotFoundError, NotSupportedError, KeyExistsError } from "../../sys/errors.js";
import { describeValue } from "../../sys/arguments.js";
import type { ElfFile } from "../../elf/index.js";
import { UpdateFlags } from "../../map/types.js";
import { Link } from "../link.js";
import { attachUprobe } from "../uprobe.js";
import { noPerfLinks } from "../perf-event-link.js";
import { readBinaryElf, resolveUprobeBinary } from "../uprobe-binary.js";
import { targetFromSection } from "../section-target.js";
import { usdtNotes, type UsdtNote } from "./notes.js";
import { ET_DYN, siteAddressIn, usdtSites, type UsdtSite } from "./sites.js";
import { parseUsdtArguments, type UsdtArgument } from "./arguments.js";
import { UsdtArgumentError } from "./errors.js";
import { runningUsdtArch, USDT_ARCH_MACHINE, type UsdtArch } from "./pt-regs.js";
import { encodeUsdtSpec } from "./spec-layout.js";
import { allocateSpecId, releaseSpecIds } from "./spec-ids.js";
import { usdtMapsOf, type UsdtMaps, type UsdtMapsOption } from "./maps.js";

/** Options of {@link attachUsdt}. */
export interface UsdtOptions {
  /** The executable or library with the probe: a path, or a bare name (looked up like attachUprobe's). */
  binary?: string;
  /** The probe's provider ("python"). */
  provider?: string;
  /** The probe's name ("function__entry"). */
  name?: string;
  /** Only this process; default: every process that runs the binary. */
  pid?: number;
  /** What the program reads with bpf_usdt_cookie() (not the bpf cookie: that one carries the spec id). */
  cookie?: bigint;
  /** The <bpf/usdt.bpf.h> maps; default: found among the maps the program uses. */
  maps?: UsdtMapsOption;
  /**
   * How the program finds its spec: by bpf cookie or by the probe's address
   * (__bpf_usdt_ip_to_spec_id). It must match the LINUX_HAS_BPF_COOKIE the
   * object was loaded with; "auto" (default): by cookie where the kernel has
   * them — bpf cookies came with perf_event links (Linux 5.15), so a kernel
   * that refuses those gets the address map, as its LINUX_HAS_BPF_COOKIE says.
   */
  specLookup?: "auto" | "cookie" | "ip";
  /**
   * "auto" (default): one uprobe.multi link when the kernel accepts one for
   * the program (loaded with expected attach type TraceUprobeMulti, Linux
   * 6.6: Collection.load does that for SEC("usdt") programs unless their
   * spec's usdtUprobeMulti is false), else a uprobe per site; "multi" /
   * "perf" force one ("perf" needs a program loaded without TraceUprobeMulti).
   */
  method?: "auto" | "multi" | "perf";
}

/** The target of a SEC("usdt/BINARY:PROVIDER:NAME") (or usdt.s) name. */
export interface UsdtSection {
  binary: string;
  provider: string;
  name: string;
}

const sectionPattern = /^usdt(?:\.s)?\/([^:]+):([^:]+):([^:]+)$/;

/** Parses the target of a USDT SEC() name, or undefined when it names none (plain SEC("usdt")). */
export function usdtOfSection(sectionName: string): UsdtSection | undefined {
  const m = sectionPattern.exec(sectionName);
  return m ? { binary: m[1]!, provider: m[2]!, name: m[3]! } : undefined;
}

/** A probe site with its arguments and the spec id that describes them. */
interface PlannedSite {
  site: UsdtSite;
  specId: number;
}

/** What the attach set up in maps, undone on failure and on close. */
class SpecState {
  readonly specIds: number[] = [];
  readonly ipKeys: Uint8Array[] = [];
  constructor(readonly maps: UsdtMaps | undefined, readonly specsMapId: number | undefined) {}

  undo(): void {
    for (const key of this.ipKeys) {
      try {
        this.maps?.ipToSpecId?.delete(key);
      } catch {
        // Gone already (the map was emptied by its owner): nothing to undo.
      }
    }
    if (this.specsMapId !== undefined) releaseSpecIds(this.specsMapId, this.specIds);
    this.specIds.length = 0;
    for (const m of this.maps?.owned ?? []) m.close();
  }
}

function resolveOptions(program: Program, options: UsdtOptions): UsdtOptions {
  if (options.binary !== undefined) return options;
  const s = targetFromSection(program, usdtOfSection, "the binary, provider and name of the USDT", "binary");
  return { ...options, binary: s.binary, provider: options.provider ?? s.provider, name: options.name ?? s.name };
}

function checkOptions(o: UsdtOptions): void {
  for (const field of ["provider", "name"] as const) {
    const v = o[field];
    if (typeof v !== "string" || v === "") throw new InvalidArgumentError(`attachUsdt: give the probe's ${field} (got ${describeValue(v)})`, field);
  }
  if (o.pid !== undefined && !(Number.isInteger(o.pid) && o.pid > 0)) {
    throw new InvalidArgumentError(`attachUsdt: pid must be a process id (got ${describeValue(o.pid)})`, "pid");
  }
  if (o.cookie !== undefined && typeof o.cookie !== "bigint") {
    throw new InvalidArgumentError(`attachUsdt: cookie must be a bigint (got ${describeValue(o.cookie)})`, "cookie");
  }
}

/** The binary's architecture, which must be the running one (pt_regs offsets are the running kernel's). */
function archOf(elf: ElfFile, path: string): UsdtArch {
  const arch = runningUsdtArch();
  if (!arch) throw new NotSupportedError(`USDT argument specs on ${process.arch}`);
  if (elf.header.machine !== USDT_ARCH_MACHINE[arch]) {
    throw new InvalidArgumentError(`${path} is for ELF machine ${elf.header.machine}, not this ${arch} machine (${USDT_ARCH_MACHINE[arch]})`, "binary");
  }
  if (elf.header.type !== 2 && elf.header.type !== ET_DYN) {
    throw new InvalidArgumentError(`${path} is neither an executable nor a shared library (ELF type ${elf.header.type})`, "binary");
  }
  return arch;
}

/** The notes of provider:name, or NotFoundError listing the probes the binary has. */
function chooseNotes(notes: readonly UsdtNote[], provider: string, name: string, path: string): UsdtNote[] {
  const chosen = notes.filter((n) => n.provider === provider && n.name === name);
  if (chosen.length > 0) return chosen;
  if (notes.length === 0) throw new NotFoundError(`${path} has no USDT probes (no .note.stapsdt notes), so no ${provider}:${name}`);
  const have = [...new Set(notes.map((n) => `${n.provider}:${n.name}`))].sort();
  const list = have.length > 40 ? `${have.slice(0, 40).join(", ")} … (${have.length} in all)` : have.join(", ");
  throw new NotFoundError(`no USDT ${provider}:${name} in ${path}; it has ${list}`);
}

function parseArgs(site: UsdtSite, arch: UsdtArch, where: string): UsdtArgument[] {
  try {
    return parseUsdtArguments(site.note.args, arch);
  } catch (e) {
    if (e instanceof UsdtArgumentError) throw new UsdtArgumentError(e.spec, e.reason, `${where} at 0x${site.address.toString(16)}`);
    throw e;
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** Spec ids for the sites (one per distinct argument string, as libbpf), their specs written to the map. */
function planSpecs(sites: readonly UsdtSite[], arch: UsdtArch, where: string, cookie: bigint, state: SpecState): PlannedSite[] {
  const byArgs = new Map<string, number>();
  const maps = state.maps;
  return sites.map((site) => {
    const args = parseArgs(site, arch, where);
    let specId = byArgs.get(site.note.args);
    if (specId === undefined) {
      if (!maps) {
        specId = 0;
      } else {
        specId = allocateSpecId(state.specsMapId!, maps.specs.maxEntries);
        if (specId === undefined) {
          throw new BusyError(`${where}: every one of the ${maps.specs.maxEntries} slots of __bpf_usdt_specs is taken (raise BPF_USDT_MAX_SPEC_CNT)`);
        }
        state.specIds.push(specId);
        maps.specs.update(u32(specId), encodeUsdtSpec(args, cookie));
      }
      byArgs.set(site.note.args, specId);
    }
    return { site, specId };
  });
}

/** Fills __bpf_usdt_ip_to_spec_id: the program has no cookie to find its spec by. */
function mapAddresses(planned: readonly PlannedSite[], o: UsdtOptions, path: string, type: number, where: string, state: SpecState): void {
  const ipMap = state.maps?.ipToSpecId;
  if (!state.maps) return;
  if (!ipMap) throw new NotFoundError(`${where}: the program uses no __bpf_usdt_ip_to_spec_id map, which finds specs without bpf cookies`);
  if (type === ET_DYN && o.pid === undefined) {
    throw new InvalidArgumentError(`${where}: without bpf cookies a USDT in a PIE or shared library needs a pid (its address differs per process)`, "pid");
  }
  for (const { site, specId } of planned) {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setBigUint64(0, siteAddressIn(o.pid, path, type, site), true);
    try {
      ipMap.update(key, u32(specId), UpdateFlags.NOEXIST);
    } catch (e) {
      if (e instanceof KeyExistsError) throw new BusyError(`${where}: another USDT attachment of this object already uses the probe address 0x${site.address.toString(16)}`);
      throw e;
    }
    state.ipKeys.push(key);
  }
}

function attachMulti(program: Program, planned: readonly PlannedSite[], path: string, pid: number | undefined, cookies: boolean): FD {
  return linkCreate({
    progFd: program.fd,
    attachType: AttachType.TraceUprobeMulti,
    uprobeMulti: {
      path,
      offsets: planned.map((p) => p.site.fileOffset),
      refCtrOffsets: planned.map((p) => p.site.semaphoreOffset),
      ...(cookies ? { cookies: planned.map((p) => BigInt(p.specId)) } : {}),
      ...(pid !== undefined ? { pid } : {}),
    },
  });
}

/**
 * A uprobe per site: "cookie" puts the spec id in a perf_event link's bpf
 * cookie (refused where the kernel has no such links); "ioctl-or-link"
 * attaches without a cookie, by link or by ioctl, whichever the kernel has.
 */
function attachPerSite(program: Program, planned: readonly PlannedSite[], path: string, pid: number | undefined, how: "cookie" | "ioctl-or-link"): Link[] {
  const links: Link[] = [];
  try {
    for (const { site, specId } of planned) {
      links.push(attachUprobe(program, {
        binary: path, offset: site.fileOffset,
        ...(site.semaphoreOffset ? { refCtrOffset: site.semaphoreOffset } : {}),
        ...(pid !== undefined ? { pid } : {}),
        ...(how === "cookie" ? { cookie: BigInt(specId), method: "link" as const } : {}),
      }));
    }
    return links;
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
}

/** The kernel refused a uprobe.multi link for this program: wrong expected attach type, or a kernel before 6.6. */
function multiRefused(e: unknown): boolean {
  return e instanceof InvalidArgumentError || e instanceof NotSupportedError;
}

/**
 * Attaches a kprobe-type program (SEC("usdt…")) to every site of the USDT
 * `provider:name` in `binary` (default: from SEC("usdt/BINARY:PROVIDER:NAME")),
 * filling the <bpf/usdt.bpf.h> maps so bpf_usdt_arg(), BPF_USDT() and
 * bpf_usdt_cookie() work. Returns one Link: closing it detaches every site,
 * releases the semaphores and frees the spec slots.
 * Errors: InvalidArgumentError (wrong program type, bad options, a binary of
 * another architecture), NotFoundError (binary, or a probe it lacks — the
 * message lists those it has), ElfError (not an ELF file, malformed notes),
 * UsdtArgumentError (an argument spec tsbpf cannot read), BusyError (spec
 * slots exhausted, address collision), the kernel's refusal to attach.
 * Nothing stays attached, open or written on failure.
 */
export function attachUsdt(program: Program, options: UsdtOptions = {}): Link {
  if (program.type !== ProgramType.Kprobe) {
    throw new InvalidArgumentError(
      `program '${program.name}' is a ${programTypeName(program.type)} program; USDT probes run kprobe programs (SEC("usdt/…"))`,
      "program",
    );
  }
  const o = resolveOptions(program, options);
  checkOptions(o);
  const path = resolveUprobeBinary(o.binary!, o.pid);
  const elf = readBinaryElf(path);
  const arch = archOf(elf, path);
  const where = `${o.provider}:${o.name} in ${path}`;
  const sites = usdtSites(elf, path, chooseNotes(usdtNotes(elf), o.provider!, o.name!, path));
  const lookup = o.specLookup ?? "auto";

  const maps = usdtMapsOf(program, o.maps);
  const state = new SpecState(maps, maps?.specs.info().id);
  try {
    const planned = planSpecs(sites, arch, where, o.cookie ?? 0n, state);
    const target = `usdt ${where} (${sites.length} site${sites.length === 1 ? "" : "s"})${o.pid === undefined ? "" : ` pid ${o.pid}`}`;
    const release = (): void => state.undo();
    const method = o.method ?? "auto";
    const byAddress = (): void => mapAddresses(planned, o, path, elf.header.type, where, state);
    if (lookup === "ip") byAddress();
    if (method !== "perf") {
      try {
        return new Link({ link: attachMulti(program, planned, path, o.pid, lookup !== "ip"), target, release });
      } catch (e) {
        if (method === "multi" || !multiRefused(e)) throw e;
      }
    }
    let links: Link[];
    try {
      links = attachPerSite(program, planned, path, o.pid, lookup === "ip" ? "ioctl-or-link" : "cookie");
    } catch (e) {
      // No perf_event links, so no bpf cookies either (both Linux 5.15): find specs by address.
      if (lookup !== "auto" || !noPerfLinks(e)) throw e;
      byAddress();
      links = attachPerSite(program, planned, path, o.pid, "ioctl-or-link");
    }
    return new Link({ target, detach: () => closeAll(links), release });
  } catch (e) {
    state.undo();
    throw e;
  }
}

function closeAll(links: readonly Link[]): void {
  for (const l of links) l.close();
}
