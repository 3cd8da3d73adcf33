// Names of program and map types as bpftool prints them. The tables live
// with the types themselves (src/map/types.ts, src/program/types.ts); the
// probes and the CLI use them through these helpers.
import { MAP_TYPE_NAMES, mapTypeFromName, mapTypeName } from "../map/types.js";
import { PROGRAM_TYPE_NAMES, programTypeFromName, programTypeName } from "../program/types.js";

export { MAP_TYPE_NAMES, PROGRAM_TYPE_NAMES, mapTypeName, programTypeName };

/** Program type number for a bpftool name (`xdp`), or undefined (also for `unspec`). */
export function programTypeByName(name: string): number | undefined {
  const t = programTypeFromName(name);
  return t ? t : undefined;
}

/** Map type number for a bpftool name (`hash`), or undefined. */
export function mapTypeByName(name: string): number | undefined {
  return mapTypeFromName(name);
}
