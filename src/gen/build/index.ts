// `gen build`, the bpf2go workflow: SRC.bpf.c → DIR/NAME.bpf.o and its typed
// skeleton DIR/NAME.skel.ts, with vmlinux.h generated from BTF and the libbpf
// headers found, rebuilt only when an input changed (see stamp.ts).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { generateSkeleton, type SkeletonOptions } from "../skeleton/index.js";
import { NotFoundError, InvalidArgumentError } from "../../sys/errors.js";
import { archNames } from "./arch.js";
import { temporaryPathFor, writeFileAtomic } from "./atomic-file.js";
import { findClang, probeClang } from "./clang.js";
import { compile } from "./compile.js";
import { parseDepfile } from "./depfile.js";
import { sha256 } from "./hash.js";
import { findLibbpfIncludeDir } from "./headers.js";
import { findStrip, stripDebugInfo } from "./strip.js";
import { hashFiles, outOfDateReason, readStamp, writeStamp } from "./stamp.js";
import { tsbpfVersion } from "./version.js";
import { vmlinuxHeader } from "./vmlinux.js";

export { ToolchainError, CompileError } from "./errors.js";

/** Options for {@link buildObject}. */
export interface BuildOptions {
  /** Output directory (default: the source's directory); created when missing. */
  readonly outputDir?: string;
  /** Base name of the outputs: NAME.bpf.o, NAME.skel.ts (default: the source's name without .bpf.c / .c). */
  readonly name?: string;
  /** Extra compiler flags, after tsbpf's own (so they can override -O2, add -D, -I …). */
  readonly cflags?: readonly string[];
  /** Generate vmlinux.h from this BTF file (raw BTF or ELF with .BTF) instead of the running kernel's. */
  readonly btf?: string;
  /** Where vmlinux.h is cached (default: $XDG_CACHE_HOME/tsbpf or ~/.cache/tsbpf). */
  readonly cacheDir?: string;
  /** The compiler (path or command); default: $BPF_CLANG, $CLANG, clang, then the highest clang-N on PATH. */
  readonly clang?: string;
  /** The kernel's architecture name for -D__TARGET_ARCH_ (default: from process.arch: x86, arm64, …). */
  readonly targetArch?: string;
  /** Skeleton options passed to generateSkeleton (name defaults to NAME, made an identifier: "my-tool" → "my_tool"). */
  readonly skeleton?: SkeletonOptions;
  /** The skeleton loads ./NAME.bpf.o beside itself instead of embedding the object (sets skeleton.objectPath). */
  readonly referenceObject?: boolean;
  /** Drop DWARF from the object with llvm-strip -g, as bpf2go does (default true; BTF stays). */
  readonly stripDebugInfo?: boolean;
  /** Build even when the stamp says the outputs are current. */
  readonly force?: boolean;
  /** Receives clang's diagnostics (default: written to process.stderr). */
  readonly onDiagnostics?: (text: string) => void;
  /** Environment for finding tools (BPF_CLANG, CLANG, PATH, XDG_CACHE_HOME; default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** What {@link buildObject} did. */
export interface BuildResult {
  /** DIR/NAME.bpf.o */
  readonly objectPath: string;
  /** DIR/NAME.skel.ts */
  readonly skeletonPath: string;
  /** The stamp recording the inputs: DIR/NAME.bpf.stamp */
  readonly stampPath: string;
  /** True when nothing was compiled because no input changed. */
  readonly upToDate: boolean;
  /** Why it was (re)built, when it was. */
  readonly reason: string | undefined;
  /** The compiler used (path), and its version line when it ran. */
  readonly clang: string;
  readonly clangVersion: string | undefined;
  /** The flags clang was given (without the file arguments). */
  readonly flags: readonly string[];
  /** Every file the compile read (source and headers). */
  readonly inputs: readonly string[];
  /** The vmlinux.h used, and whether this build generated it. */
  readonly vmlinux: { readonly path: string; readonly generated: boolean };
  /** The skeleton generator's notes (renames, skipped types); empty when up to date. */
  readonly notes: readonly string[];
}

/** NAME from "dir/my.bpf.c" → "my". */
function defaultName(source: string): string {
  return path.basename(source).replace(/(\.bpf)?\.c$/, "");
}

/** NAME as the skeleton's identifier prefix ("my-tool" → "my_tool"). */
function identifier(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** The directories of -I flags in the user's flags ("-Idir" and "-I dir"). */
function includeDirs(cflags: readonly string[], cwd: string): string[] {
  const dirs: string[] = [];
  cflags.forEach((flag, i) => {
    if (flag === "-I" && cflags[i + 1] !== undefined) dirs.push(path.resolve(cwd, cflags[i + 1]!));
    else if (flag.startsWith("-I") && flag.length > 2) dirs.push(path.resolve(cwd, flag.slice(2)));
  });
  return dirs;
}

/** The flags tsbpf passes before the user's. */
function baseFlags(options: BuildOptions, sourceDir: string, vmlinuxDir: string, libbpfDir: string): string[] {
  // Line info names "./my.bpf.c", not the developer's absolute path (as scripts/build-examples.sh does).
  const flags = ["-g", "-O2", "-target", "bpf", `-fdebug-prefix-map=${sourceDir}=.`];
  if (options.targetArch !== undefined) {
    flags.push(`-D__TARGET_ARCH_${options.targetArch}`);
  } else {
    const arch = archNames();
    flags.push(`-D__TARGET_ARCH_${arch.kernel}`);
    // <asm/types.h> for the uapi headers (linux/bpf.h …) lives in the multiarch directory, which -target bpf does not search.
    const multiarch = path.join("/usr/include", arch.triplet);
    if (isDirectory(multiarch)) flags.push("-idirafter", multiarch);
  }
  flags.push(`-I${vmlinuxDir}`, `-I${libbpfDir}`);
  return flags;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Compiles a BPF C source into DIR/NAME.bpf.o and writes its TypeScript
 * skeleton DIR/NAME.skel.ts, unless the stamp DIR/NAME.bpf.stamp shows that
 * neither the source, any header it read, the flags, the compiler nor
 * vmlinux.h changed (then clang does not run and `upToDate` is true).
 *
 * Throws ToolchainError (clang or libbpf headers missing, with the package to
 * install), CompileError (clang's exit status and diagnostics, which were
 * already passed to `onDiagnostics`), NotFoundError (no source, no kernel
 * BTF). A failed build leaves the previous outputs as they were and no
 * partial files.
 */
export async function buildObject(source: string, options: BuildOptions = {}): Promise<BuildResult> {
  const sourcePath = path.resolve(source);
  if (!isFile(sourcePath)) throw new NotFoundError(`${source} does not exist or is not a file`);
  const name = options.name ?? defaultName(sourcePath);
  if (name === "" || name.includes("/")) throw new InvalidArgumentError(`'${name}' is not a usable output name`, "name");
  const outputDir = path.resolve(options.outputDir ?? path.dirname(sourcePath));
  const objectPath = path.join(outputDir, `${name}.bpf.o`);
  const skeletonPath = path.join(outputDir, `${name}.skel.ts`);
  const stampPath = path.join(outputDir, `${name}.bpf.stamp`);
  const env = options.env ?? process.env;
  const cwd = path.dirname(sourcePath);
  const cflags = options.cflags ?? [];

  const clang = findClang({ clang: options.clang, env });
  // Missing tools first: they fail fast, before vmlinux.h is generated.
  const libbpfDir = findLibbpfIncludeDir(includeDirs(cflags, cwd), env);
  const vmlinux = vmlinuxHeader({ btf: options.btf, cacheDir: options.cacheDir });
  const flags = [...baseFlags(options, cwd, vmlinux.includeDir, libbpfDir), ...cflags];
  const strip = options.stripDebugInfo === false ? undefined : findStrip(clang, env);
  const skeletonOptions: SkeletonOptions = {
    ...options.skeleton,
    name: options.skeleton?.name ?? identifier(name),
    ...(options.referenceObject ? { objectPath: `./${path.basename(objectPath)}` } : {}),
  };
  const recipe = sha256(JSON.stringify({ tsbpf: tsbpfVersion(), clang: clang.path, strip: strip ?? null, flags, sourcePath, outputDir, name, skeleton: skeletonOptions }));
  const stamp = readStamp(stampPath);
  const reason = options.force ? "forced" : outOfDateReason(stamp, recipe, clang.identity);
  const common = { objectPath, skeletonPath, stampPath, clang: clang.path, flags, vmlinux: { path: vmlinux.path, generated: vmlinux.generated } };
  if (reason === undefined && stamp !== undefined) {
    return { ...common, upToDate: true, reason, clangVersion: stamp.clangVersion, inputs: Object.keys(stamp.inputs), notes: [] };
  }

  const probe = await probeClang(clang, env);
  mkdirSync(outputDir, { recursive: true });
  const objectTemp = temporaryPathFor(objectPath);
  const depfileTemp = `${objectTemp}.d`;
  let inputs: string[];
  const notes: string[] = [];
  if (strip === undefined && options.stripDebugInfo !== false) {
    notes.push("the object keeps its DWARF: no llvm-strip was found for this clang (Debian package llvm-19)");
  }
  try {
    await compile({
      clang: clang.path, flags, source: path.basename(sourcePath), cwd, env, object: objectTemp, depfile: depfileTemp,
      onDiagnostics: options.onDiagnostics ?? ((text) => process.stderr.write(text)),
    });
    inputs = parseDepfile(readFileSync(depfileTemp, "utf8"), cwd);
    if (strip !== undefined) await stripDebugInfo(strip, objectTemp, env);
    const skeleton = generateSkeleton(readFileSync(objectTemp), skeletonOptions);
    notes.push(...skeleton.notes);
    // The skeleton first: should it fail, the previous object is still the one its stamp describes.
    writeFileAtomic(skeletonPath, skeleton.source);
    renameSync(objectTemp, objectPath);
  } finally {
    rmSync(objectTemp, { force: true });
    rmSync(depfileTemp, { force: true });
  }
  writeStamp(stampPath, {
    recipe, clang: clang.identity, clangVersion: probe.version,
    inputs: hashFiles(inputs), outputs: hashFiles([objectPath, skeletonPath]),
  });
  return { ...common, upToDate: false, reason, clangVersion: probe.version, inputs, notes };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
