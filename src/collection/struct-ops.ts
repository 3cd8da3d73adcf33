// Matching a struct_ops map of the object against the kernel, as libbpf does:
// the kernel struct is found by the local struct's name without its CO-RE
// flavor, the map value is the kernel's `bpf_struct_ops_<name>` with the
// struct in the member of that type (`data`). Data members are copied by
// name (sizes must match; members the kernel lacks may only be zero), and
// function-pointer members become program slots whose program loads with
// attach_btf_id = the kernel struct and expected_attach_type = the member's
// index. Pure: the kernel is only its BTF, the programs only their fds.
import type { Btf } from "../btf/btf.js";
import type { BtfMember, BtfType } from "../btf/types.js";
import { skipModsAndTypedefs } from "../core/btf-util.js";
import { essentialName } from "../core/names.js";
import type { ObjectMapSpec } from "../object/map-spec.js";
import { StructOpsError } from "./struct-ops-error.js";

/** A function-pointer member of the kernel struct that a program fills. */
export interface StructOpsProgramSlot {
  readonly member: string;
  readonly program: string;
  /** Index of the member in the kernel struct: the program's expected_attach_type. */
  readonly memberIndex: number;
  /** Byte offset of the pointer in the map value. */
  readonly valueOffset: number;
}

/** A struct_ops map resolved against the kernel's BTF. */
export interface StructOpsPlan {
  /** The map's key in the ObjectSpec (its variable name). */
  readonly map: string;
  /** Kernel struct (e.g. tcp_congestion_ops): its id is the programs' attach_btf_id. */
  readonly kernelTypeId: number;
  readonly kernelTypeName: string;
  /** `bpf_struct_ops_<name>`: the map's btf_vmlinux_value_type_id. */
  readonly valueTypeId: number;
  /** Byte size of the value type: the map's value_size. */
  readonly valueSize: number;
  /** The value with the object's data members in the kernel layout; program slots still zero. */
  readonly value: Uint8Array;
  readonly programSlots: readonly StructOpsProgramSlot[];
  /** Members of the object's struct the kernel lacks, all zero (or set to a program), left out as libbpf does. */
  readonly skippedMembers: readonly string[];
}

/** Where a program of a struct_ops map attaches. */
export interface StructOpsTarget {
  readonly attachBtfId: number;
  readonly expectedAttachType: number;
}

/** Resolves one struct_ops map against the kernel's BTF; StructOpsError when they do not fit. */
export function planStructOps(key: string, m: ObjectMapSpec, local: Btf, kernel: Btf): StructOpsPlan {
  const ops = m.structOps;
  if (!ops || !m.initialValue) throw new StructOpsError(key, "the map spec has no struct_ops description");
  const name = essentialName(ops.typeName);
  const kernelType = kernel.typesByName(name, "STRUCT")[0];
  if (!kernelType) throw new StructOpsError(key, `the kernel has no struct ${name}`);
  const valueType = kernel.typesByName(`bpf_struct_ops_${name}`, "STRUCT")[0];
  if (!valueType) throw new StructOpsError(key, `struct ${name} is not a struct_ops type of this kernel (no bpf_struct_ops_${name} in its BTF)`);
  const dataMember = valueType.members.find((x) => skipModsAndTypedefs(kernel, x.type) === kernelType.id);
  if (!dataMember) throw new StructOpsError(key, `bpf_struct_ops_${name} has no member of type struct ${name}`);
  const dataOffset = dataMember.bitOffset / 8;

  const localType = local.typeById(ops.typeId);
  if (localType.kind !== "STRUCT") throw new StructOpsError(key, `type [${ops.typeId}] of the object is a ${localType.kind}, expected a struct`);
  const value = new Uint8Array(valueType.size);
  const programSlots: StructOpsProgramSlot[] = [];
  const skippedMembers: string[] = [];
  for (const lm of localType.members) {
    checkNotBitfield(key, lm);
    const size = local.sizeOf(lm.type);
    const bytes = m.initialValue.subarray(lm.bitOffset / 8, lm.bitOffset / 8 + size);
    const program = ops.programs.get(lm.name);
    const index = kernelType.members.findIndex((x) => x.name === lm.name);
    if (index < 0) {
      if (program === undefined && bytes.some((b) => b !== 0)) {
        throw new StructOpsError(key, `is set in the object but struct ${name} of this kernel has no such member`, lm.name);
      }
      skippedMembers.push(lm.name);
      continue;
    }
    const km = kernelType.members[index]!;
    checkNotBitfield(key, km);
    const localKind = local.typeById(skipModsAndTypedefs(local, lm.type)).kind;
    const kernelKind = kernel.typeById(skipModsAndTypedefs(kernel, km.type)).kind;
    if (localKind !== kernelKind) throw new StructOpsError(key, `is a ${localKind} in the object but a ${kernelKind} in the kernel`, lm.name);
    const at = dataOffset + km.bitOffset / 8;
    if (program !== undefined) {
      if (!isFunctionPointer(kernel, km)) throw new StructOpsError(key, `is set to program '${program}' but is not a function pointer in the kernel`, lm.name);
      programSlots.push({ member: lm.name, program, memberIndex: index, valueOffset: at });
      continue;
    }
    const kernelSize = kernel.sizeOf(km.type);
    if (kernelSize !== size) throw new StructOpsError(key, `is ${size} bytes in the object but ${kernelSize} in the kernel`, lm.name);
    value.set(bytes, at);
  }
  return { map: key, kernelTypeId: kernelType.id, kernelTypeName: name, valueTypeId: valueType.id, valueSize: valueType.size, value, programSlots, skippedMembers };
}

/**
 * Attach targets of the struct_ops programs of every plan. A program used by
 * several members must fill the same member of the same struct everywhere
 * (its expected_attach_type is that member's index).
 */
export function structOpsTargets(plans: readonly StructOpsPlan[]): Map<string, StructOpsTarget> {
  const out = new Map<string, StructOpsTarget>();
  for (const plan of plans) {
    for (const slot of plan.programSlots) {
      const target = { attachBtfId: plan.kernelTypeId, expectedAttachType: slot.memberIndex };
      const seen = out.get(slot.program);
      if (seen && (seen.attachBtfId !== target.attachBtfId || seen.expectedAttachType !== target.expectedAttachType)) {
        throw new StructOpsError(plan.map, `program '${slot.program}' also fills another struct_ops member; a program can serve one member of one struct`, slot.member);
      }
      out.set(slot.program, target);
    }
  }
  return out;
}

/**
 * Refuses, before anything is created, a struct_ops map whose member's
 * program will not be loaded: registered without it, the struct would
 * silently lack that operation. `why` says why the program is left out.
 */
export function checkStructOpsPrograms(plans: readonly StructOpsPlan[], loaded: ReadonlySet<string>, why: string): void {
  for (const plan of plans) {
    for (const slot of plan.programSlots) {
      if (!loaded.has(slot.program)) throw new StructOpsError(plan.map, `its program '${slot.program}' was not loaded (${why}); load it too, or leave the struct_ops map out`, slot.member);
    }
  }
}

/** The map value with program fds in their slots (the fd as a native-endian u64, as the kernel reads it). */
export function structOpsValue(plan: StructOpsPlan, programFd: (name: string) => number): Uint8Array {
  const value = plan.value.slice();
  const view = new DataView(value.buffer);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (const slot of plan.programSlots) view.setBigUint64(slot.valueOffset, BigInt(programFd(slot.program)), le);
  return value;
}

function checkNotBitfield(key: string, m: BtfMember): void {
  if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) throw new StructOpsError(key, "is a bitfield, which struct_ops maps cannot initialise", m.name);
}

function isFunctionPointer(btf: Btf, m: BtfMember): boolean {
  const ptr: BtfType = btf.typeById(skipModsAndTypedefs(btf, m.type));
  return ptr.kind === "PTR" && btf.typeById(skipModsAndTypedefs(btf, ptr.type)).kind === "FUNC_PROTO";
}

/** Plans of every struct_ops map of an object, in map order (none without struct_ops maps; the kernel BTF is read only then). */
export function planObjectStructOps(maps: ReadonlyMap<string, ObjectMapSpec>, local: Btf | undefined, kernel: () => Btf): StructOpsPlan[] {
  const out: StructOpsPlan[] = [];
  for (const [key, m] of maps) {
    if (m.kind !== "struct_ops") continue;
    if (!local) throw new StructOpsError(key, "the object has no BTF to describe its struct");
    out.push(planStructOps(key, m, local, kernel()));
  }
  return out;
}
