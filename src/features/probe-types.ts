// What the map type and program type probes share: turning a uapi number or
// bpftool name into the type number, and remembering each answer for the
// life of the process (a probe creates kernel objects; its answer cannot
// change while we run).
import { InvalidArgumentError } from "../sys/errors.js";
import type { ProbeResult } from "./result.js";

/** How one family of types (maps or programs) is named and probed. */
export interface TypeProbeFamily {
  /** Noun used in error messages, e.g. "map type". */
  readonly kind: string;
  /** bpftool names indexed by type number; index 0 is `unspec`. */
  readonly names: readonly string[];
  /** Type number for a bpftool name, or undefined when unknown. */
  readonly byName: (name: string) => number | undefined;
  /** Runs the probe for one type number; called at most once per number. */
  readonly probe: (type: number) => ProbeResult;
}

/** A family's name resolution plus its per-process cache of probe answers. */
export class TypeProbes {
  readonly #family: TypeProbeFamily;
  readonly #answers = new Map<number, ProbeResult>();

  constructor(family: TypeProbeFamily) {
    this.#family = family;
  }

  /** The type number for `type`; an unknown name throws InvalidArgumentError listing the known ones. */
  number(type: number | string): number {
    if (typeof type === "number") return type;
    const { kind, names, byName } = this.#family;
    const n = byName(type);
    if (n === undefined) throw new InvalidArgumentError(`unknown ${kind} '${type}' (known: ${names.slice(1).join(", ")})`, "type");
    return n;
  }

  /** The cached answer for `type`, probing the kernel the first time it is asked. */
  answer(type: number | string): ProbeResult {
    const n = this.number(type);
    let r = this.#answers.get(n);
    if (!r) {
      r = this.#family.probe(n);
      this.#answers.set(n, r);
    }
    return r;
  }
}
