// The BPF function a freplace (extension) program replaces, or an
// fentry/fexit program traces: a function of a live program, found by name in
// that program's BTF (as libbpf's bpf_program__set_attach_target does). The
// kernel takes it as attach_prog_fd + attach_btf_id.
import { readKernelBtfById } from "../btf/kernel.js";
import { FD } from "../sys/fd.js";
import { InvalidArgumentError, NotFoundError } from "../sys/errors.js";
import { readProgramInfo } from "./info.js";

/** A function of a loaded program, as the target of a freplace or fentry/fexit program. */
export interface AttachTarget {
  /** The program that holds the function: a Program (or anything with its `fd`) or a program fd (borrowed, not closed). */
  program: FD | { readonly fd: FD };
  /**
   * The function's name in the target program's BTF (a global function, for
   * freplace). Default: what the SEC() name says ("freplace/handle_packet" → handle_packet).
   */
  function?: string;
}

/** An attach target resolved to what BPF_PROG_LOAD takes, and a description for messages. */
export interface ResolvedAttachTarget {
  readonly programFd: FD;
  readonly btfId: number;
  /** "function 'f' (BTF id 3) of program 'p' (id 42)". */
  readonly description: string;
}

/** The function named in the SEC() name after its first '/' ("freplace/f" → "f"), if any. */
export function sectionTargetFunction(sectionName: string | undefined): string | undefined {
  const slash = sectionName?.indexOf("/") ?? -1;
  const name = slash >= 0 ? sectionName!.slice(slash + 1) : "";
  return name === "" ? undefined : name;
}

/**
 * Finds `target.function` (or `defaultFunction`) in the BTF of the target
 * program: its BTF id, and the program's fd. Needs the target loaded with BTF
 * (func info); freplace replaces only global functions (static ones are inlined
 * into their callers' verification, so the kernel refuses them).
 */
export function resolveAttachTarget(
  target: AttachTarget, how: { defaultFunction: string | undefined; forWhat: string; extension: boolean },
): ResolvedAttachTarget {
  const { defaultFunction, forWhat } = how;
  if (target === null || typeof target !== "object") throw new InvalidArgumentError(`${forWhat}: attachTarget must be { program, function }`, "attachTarget");
  const program = target.program instanceof FD ? target.program : target.program?.fd;
  if (!(program instanceof FD)) throw new InvalidArgumentError(`${forWhat}: attachTarget.program must be a Program or a program FD`, "attachTarget");
  const name = target.function ?? defaultFunction;
  if (!name) {
    throw new InvalidArgumentError(`${forWhat}: attachTarget.function is required (the SEC() name names no function)`, "attachTarget");
  }
  const info = readProgramInfo(program);
  if (info.btfId === 0) {
    throw new NotFoundError(
      `${forWhat}: the target program '${info.name}' (id ${info.id}) was loaded without BTF, so its functions cannot be found by name: load it with BTF (func info)`,
    );
  }
  const { btf } = readKernelBtfById(info.btfId);
  // The kernel keeps 15 characters of the name; the main function's BTF name (func info record 0) is the whole one.
  const first = info.funcInfo[0];
  const fullName = first ? btf.nameOf(first.typeId) : "";
  const where = `program '${info.name !== "" && fullName.startsWith(info.name) ? fullName : info.name}' (id ${info.id})`;
  const funcs = btf.typesByName(name, "FUNC");
  const func = funcs[0];
  if (!func) {
    const known = [...btf.types("FUNC")].map((f) => f.name).filter((n) => n !== "");
    throw new NotFoundError(`${forWhat}: the target ${where} has no function '${name}' in its BTF (it has: ${known.join(", ") || "none"})`);
  }
  if (how.extension && func.linkage === "static") {
    throw new InvalidArgumentError(
      `${forWhat}: function '${name}' of the target ${where} is static; only global functions can be replaced (the verifier checks static ones inline with their callers)`,
      "attachTarget",
    );
  }
  return { programFd: program, btfId: func.id, description: `function '${name}' (BTF id ${func.id}) of ${where}` };
}
