// Program: a BPF program loaded in the kernel, owning its fd.
import { checkFdArgument, FD } from "../sys/fd.js";
import { allIds, fdById, openPinnedFd, pinFd, unpinPath } from "../sys/objects.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { checkObjectId, describeValue, optionsArgument } from "../sys/arguments.js";
import { loadProgram } from "./load.js";
import type { LoadOptions, ProgramSpec } from "./spec.js";
import { TestRunner, type TestRunOptions, type TestRunResult } from "./test-run.js";
import { readProgramIdentity, readProgramInfo, type ProgramInfo, type ProgramInfoOptions } from "./info.js";
import { bindMapToProgram } from "./bind-map.js";
import { assertProgramFd } from "./kind.js";
import type { ProgramType } from "./types.js";

/** Anything that owns a map fd: an FD, or an object with an `fd` (such as Map). */
export type MapFdLike = FD | { readonly fd: FD };

/** A loaded BPF program. Close it (or use `using`) to release it; pinned programs outlive the fd. */
export class Program {
  readonly #fd: FD;
  /** The program type. */
  readonly type: ProgramType;
  /**
   * The program's name: for Program.load, the name it was loaded with, whole
   * (the C function name for collection programs), as errors show it; the
   * kernel keeps only 15 characters (see `info().name`). For programs opened
   * by fd, id or pin, the kernel's name.
   */
  readonly name: string;
  /** The verifier log, when Program.load was asked for one with `logLevel`. */
  readonly verifierLog: string | undefined;
  /** SEC() name of the object program it was loaded from ("tracepoint/syscalls/sys_enter_openat"), if any. */
  readonly sectionName: string | undefined;
  #runner: TestRunner | undefined;
  #id: number | undefined;
  #tag: string | undefined;
  #pinnedPath: string | undefined;

  private constructor(fd: FD, type: ProgramType, name: string, verifierLog: string | undefined, sectionName?: string) {
    this.#fd = fd;
    this.type = type;
    this.name = name;
    this.verifierLog = verifierLog;
    this.sectionName = sectionName;
  }

  /**
   * Loads a program into the kernel. A program the verifier rejects throws
   * VerifierError carrying the complete log.
   */
  static load(spec: ProgramSpec, options: LoadOptions = {}): Program {
    const { fd, log, name } = loadProgram(spec, options);
    return new Program(fd, spec.type, spec.name ?? name, log, spec.sectionName);
  }

  /**
   * Wraps a program fd, taking ownership of it (a number is wrapped in a new
   * FD); on error the fd stays the caller's. Same shape as BpfMap.fromFd.
   */
  static fromFd(fd: FD | number): Program {
    checkFdArgument(fd, "Program.fromFd");
    const owned = typeof fd === "number" ? new FD(fd, "program fd") : fd;
    try {
      assertProgramFd(owned, "program fd");
      const identity = readProgramIdentity(owned);
      const program = new Program(owned, identity.type, identity.name, undefined);
      program.#id = identity.id;
      program.#tag = identity.tag;
      return program;
    } catch (e) {
      // A number stays the caller's: the leak net must not close it later.
      if (typeof fd === "number") owned.release();
      throw e;
    }
  }

  /** Opens the program with this id (needs CAP_SYS_ADMIN). */
  static fromId(id: number): Program {
    checkObjectId(id, "Program.fromId");
    return adopt(fdById("prog", id));
  }

  /** Opens the program pinned at `path` in bpffs. */
  static openPinned(path: string): Program {
    if (typeof path !== "string") throw new InvalidArgumentError(`Program.openPinned: path must be a string (got ${describeValue(path)})`, "path");
    const program = adopt(openPinnedFd(path, "rw", "program"));
    program.#pinnedPath = path;
    return program;
  }

  /** Info of the program with this id, without keeping it open. */
  static infoById(id: number, options?: ProgramInfoOptions): ProgramInfo {
    checkObjectId(id, "Program.infoById");
    const opts = optionsArgument(options, "Program.infoById");
    using fd = fdById("prog", id);
    return readProgramInfo(fd, opts);
  }

  /** Ids of every program loaded on the system, ascending. */
  static ids(): number[] {
    return [...allIds("prog")];
  }

  /**
   * Info of every program loaded on the system (programs unloaded meanwhile are
   * skipped). Without instructions by default, like `bpftool prog show`.
   */
  static list(options: ProgramInfoOptions = { instructions: false }): ProgramInfo[] {
    const out: ProgramInfo[] = [];
    for (const id of allIds("prog")) {
      try {
        out.push(Program.infoById(id, options));
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
    return out;
  }

  /** The program's fd (still owned by the program). */
  get fd(): FD {
    return this.#fd;
  }

  /** The kernel's id of the program. */
  get id(): number {
    if (this.#id === undefined) this.#readIdentity();
    return this.#id!;
  }

  /** The program tag (hash of its instructions) as bpftool prints it. */
  get tag(): string {
    if (this.#tag === undefined) this.#readIdentity();
    return this.#tag!;
  }

  #readIdentity(): void {
    const identity = readProgramIdentity(this.#fd);
    this.#id = identity.id;
    this.#tag = identity.tag;
  }

  /** Where the program was pinned by pin() or opened from by openPinned(). */
  get pinnedPath(): string | undefined {
    return this.#pinnedPath;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Everything the kernel reports about the program (two BPF_OBJ_GET_INFO_BY_FD calls). */
  info(options?: ProgramInfoOptions): ProgramInfo {
    return readProgramInfo(this.#fd, optionsArgument(options, `program '${this.name}'`));
  }

  /** Runs the program on test input with BPF_PROG_TEST_RUN (Linux 4.12; ctx in/out 5.2). */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const raw = this.#fd.raw;
    options = optionsArgument(options, `test run of program '${this.name}'`);
    this.#runner ??= new TestRunner(this.type);
    return this.#runner.run(raw, options);
  }

  /** Pins the program at `path` inside a bpffs mount. */
  pin(path: string): void {
    pinFd(this.#fd, path);
    this.#pinnedPath = path;
  }

  /** Removes the pin made by pin() (or the one the program was opened from). */
  unpin(): void {
    const path = this.#pinnedPath;
    if (path === undefined) throw new NotFoundError(`program '${this.name}' is not pinned`);
    try {
      unpinPath(path);
    } finally {
      this.#pinnedPath = undefined;
    }
  }

  /** Keeps a map alive as long as the program (BPF_PROG_BIND_MAP, Linux 5.10). */
  bindMap(map: MapFdLike): void {
    if (!(map instanceof FD) && !(typeof map === "object" && map !== null && (map as { fd?: unknown }).fd instanceof FD)) {
      throw new InvalidArgumentError(`program '${this.name}': bindMap needs a Map or an FD (got ${describeValue(map)})`, "map");
    }
    bindMapToProgram(this.#fd, map instanceof FD ? map : map.fd);
  }

  /** Closes the program's fd; the program stays loaded while pinned or attached. */
  close(): void {
    this.#fd.close();
  }

  /** Closes the program's fd (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `Program(name, fd)`, for messages. */
  toString(): string {
    return `Program(${this.name || "<unnamed>"}, ${this.#fd})`;
  }
}

/** Makes a Program from a fresh fd, closing the fd if it is not a program. */
function adopt(fd: FD): Program {
  try {
    return Program.fromFd(fd);
  } catch (e) {
    fd.close();
    throw e;
  }
}
