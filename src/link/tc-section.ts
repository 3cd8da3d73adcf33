// The tc hook a program's SEC() name implies: libbpf's "tcx/ingress",
// "tcx/egress", "tc/ingress" and "tc/egress" carry the direction (never the
// device); "tc" and "classifier" carry nothing. Shared by tcx.ts and tc.ts.
import type { Program } from "../program/program.js";
import { InvalidArgumentError } from "../sys/errors.js";
import { describeValue } from "../sys/arguments.js";

/** A tc hook of a device. */
export type TcDirection = "ingress" | "egress";

/** What a tc SEC() name says: libbpf's "tcx/ingress", "tc/egress" … carry the direction, never the device. */
export interface TcSection {
  /** Undefined for SEC("tc") and SEC("classifier"), which name no direction. */
  direction?: TcDirection;
}

/**
 * Parses the tc/tcx SEC() names libbpf knows: "tcx/ingress", "tcx/egress",
 * "tc/ingress", "tc/egress" (libbpf attaches these with tcx too), and the
 * direction-less "tc" and "classifier"; undefined for every other name.
 */
export function tcxOfSection(sectionName: string): TcSection | undefined {
  const m = /^(?:tcx?\/(ingress|egress)|tc|classifier)$/.exec(sectionName);
  if (!m) return undefined;
  return m[1] ? { direction: m[1] as TcDirection } : {};
}

/** The direction asked for, else the one the program's SEC() name gives; InvalidArgumentError when neither does. */
export function tcDirection(program: Program, direction: TcDirection | undefined, family: string): TcDirection {
  if (direction !== undefined) {
    if (direction !== "ingress" && direction !== "egress") {
      throw new InvalidArgumentError(`${family}: direction must be "ingress" or "egress" (got ${describeValue(direction)})`, "direction");
    }
    return direction;
  }
  const fromSection = program.sectionName === undefined ? undefined : tcxOfSection(program.sectionName)?.direction;
  if (fromSection) return fromSection;
  const where = program.sectionName === undefined ? "it was not loaded from an object" : `its SEC("${program.sectionName}") names none`;
  throw new InvalidArgumentError(`${family}: program '${program.name}': give the direction, "ingress" or "egress" (${where})`, "direction");
}
