// The two maps of libbpf's <bpf/usdt.bpf.h> a USDT program reads:
// __bpf_usdt_specs (spec id → struct __bpf_usdt_spec) and
// __bpf_usdt_ip_to_spec_id (probe address → spec id, for kernels without bpf
// cookies). Found among the maps the loaded program uses — the kernel keeps
// 15 characters of their names — or given by the caller.
import { BpfMap } from "../../map.js";
import type { Program } from "../../program/program.js";
import { InvalidArgumentError, NotFoundError } from "../../sys/errors.js";
import { USDT_SPEC_SIZE } from "./spec-layout.js";

/** The USDT maps of one attachment; `owned` ones were opened here and are closed with the link. */
export interface UsdtMaps {
  readonly specs: BpfMap;
  readonly ipToSpecId: BpfMap | undefined;
  readonly owned: readonly BpfMap[];
}

/** The maps as the caller may give them (e.g. `collection.map("__bpf_usdt_specs")`). */
export interface UsdtMapsOption {
  specs: BpfMap;
  ipToSpecId?: BpfMap;
}

const SPECS_NAME = "__bpf_usdt_specs";
const IP_NAME = "__bpf_usdt_ip_to_spec_id";
/** BPF_OBJ_NAME_LEN - 1: how much of a map name the kernel keeps. */
const KERNEL_NAME_LENGTH = 15;

function checkSpecsMap(map: BpfMap, program: Program): void {
  if (map.valueSize !== USDT_SPEC_SIZE) {
    throw new InvalidArgumentError(
      `program '${program.name}': its ${SPECS_NAME} map has ${map.valueSize}-byte values, not the ${USDT_SPEC_SIZE}-byte ` +
        "struct __bpf_usdt_spec of the <bpf/usdt.bpf.h> tsbpf fills (was the object built against another libbpf version?)",
      "maps",
    );
  }
}

/**
 * The USDT maps `program` uses, or undefined when it uses no specs map (a
 * program that reads no arguments needs none). NotFoundError when the maps
 * are given but the ip map is needed and missing is the caller's to raise.
 */
export function usdtMapsOf(program: Program, given: UsdtMapsOption | undefined): UsdtMaps | undefined {
  if (given) {
    checkSpecsMap(given.specs, program);
    return { specs: given.specs, ipToSpecId: given.ipToSpecId, owned: [] };
  }
  const owned: BpfMap[] = [];
  let specs: BpfMap | undefined;
  let ipToSpecId: BpfMap | undefined;
  try {
    for (const id of program.info().mapIds) {
      let name: string;
      try {
        name = BpfMap.infoById(id).name;
      } catch (e) {
        if (e instanceof NotFoundError) continue; // freed meanwhile
        throw e;
      }
      if (!specs && name === SPECS_NAME.slice(0, KERNEL_NAME_LENGTH)) owned.push((specs = BpfMap.fromId(id)));
      else if (!ipToSpecId && name === IP_NAME.slice(0, KERNEL_NAME_LENGTH)) owned.push((ipToSpecId = BpfMap.fromId(id)));
    }
    if (!specs) {
      for (const m of owned) m.close();
      return undefined;
    }
    checkSpecsMap(specs, program);
    return { specs, ipToSpecId, owned };
  } catch (e) {
    for (const m of owned) m.close();
    throw e;
  }
}
