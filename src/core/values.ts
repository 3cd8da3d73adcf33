// The value a relocation takes for one spec (local or target): libbpf's
// bpf_core_calc_field_relo / _type_relo / _enumval_relo. `undefined` spec
// means "no matching target"; FIELD/ENUMVAL value kinds then ask for the
// instruction to be poisoned, existence kinds and type kinds yield 0.
import { CoreReloKind } from "../btf/ext.js";
import { intEncoding, isAnyEnum, resolveSizeOrNegative, skipModsAndTypedefs } from "./btf-util.js";
import type { CoreSpec } from "./access-spec.js";
import { CoreRelocationError } from "./errors.js";
import { reloFamily, reloKindLabel } from "./kinds.js";

/** One side (local or target) of a computed relocation. */
export interface CoreValue {
  /** The value, or "poison" when it cannot be computed and the instruction must not run. */
  readonly value: bigint | "poison";
  /** For FIELD_BYTE_OFFSET of a non-bitfield: the field's size in bytes (load/store width); else 0. */
  readonly memSize: number;
  /** The field's type (for deciding whether a load may be resized); 0 when not applicable. */
  readonly memTypeId: number;
  /** Whether the instruction's current value must equal the local value (libbpf's `validate`). */
  readonly validate: boolean;
}

const POISON: CoreValue = { value: "poison", memSize: 0, memTypeId: 0, validate: true };

function plain(value: bigint | number, validate = true): CoreValue {
  return { value: BigInt(value), memSize: 0, memTypeId: 0, validate };
}

function fieldValue(kind: number, spec: CoreSpec | undefined, bigEndian: boolean): CoreValue {
  if (kind === CoreReloKind.FIELD_EXISTS) return plain(spec ? 1 : 0);
  if (!spec) return POISON;
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1];
  if (!acc) throw new CoreRelocationError("empty field access path");
  if (acc.name === undefined) {
    // The path ends at an array element (or the root): only offset and size make sense.
    const size = resolveSizeOrNegative(btf, acc.typeId);
    if (size < 0) throw new CoreRelocationError(`type [${acc.typeId}] has no size`);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) return { value: BigInt(spec.bitOffset / 8), memSize: size, memTypeId: acc.typeId, validate: true };
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return plain(size);
    throw new CoreRelocationError(`${reloKindLabel(kind)} cannot be applied to an array element access`);
  }
  const owner = btf.typeById(acc.typeId);
  if (owner.kind !== "STRUCT" && owner.kind !== "UNION") throw new CoreRelocationError(`type [${acc.typeId}] is not a struct/union`);
  const member = owner.members[acc.index];
  if (!member) throw new CoreRelocationError(`member index ${acc.index} is out of range`);
  const fieldTypeId = skipModsAndTypedefs(btf, member.type);
  const fieldType = btf.typeById(fieldTypeId);
  const bitOff = spec.bitOffset;
  let bitSize = member.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    const declared = "size" in fieldType ? fieldType.size : 0;
    if (!(declared > 0)) throw new CoreRelocationError(`bitfield type [${fieldTypeId}] has no size`);
    byteSize = declared;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    // The smallest power-of-two load that covers the whole bitfield.
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new CoreRelocationError(`bitfield at bit ${bitOff} (${bitSize} bits) cannot be read with one 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = resolveSizeOrNegative(btf, fieldTypeId);
    if (byteSize < 0) throw new CoreRelocationError(`field type [${fieldTypeId}] has no size`);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // Bitfield placement may legitimately differ from what the compiler assumed.
  const validate = !bitfield;
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return bitfield ? plain(byteOff, validate) : { value: BigInt(byteOff), memSize: byteSize, memTypeId: fieldTypeId, validate };
    case CoreReloKind.FIELD_BYTE_SIZE:
      return plain(byteSize, validate);
    case CoreReloKind.FIELD_SIGNED: {
      const signed = (isAnyEnum(fieldType) && fieldType.signed) || (intEncoding(fieldType) & 1) !== 0;
      return plain(signed ? 1 : 0, true);
    }
    case CoreReloKind.FIELD_LSHIFT_U64:
      // Shift the bitfield's top bit to bit 63 of the loaded (zero-extended) value.
      return plain(bigEndian ? (8 - byteSize) * 8 + (bitOff - byteOff * 8) : 64 - (bitOff + bitSize - byteOff * 8), validate);
    case CoreReloKind.FIELD_RSHIFT_U64:
      return plain(64 - bitSize, true);
    default:
      throw new CoreRelocationError(`unknown field relocation kind ${kind}`);
  }
}

function typeValue(kind: number, spec: CoreSpec | undefined, isLocal: boolean): CoreValue {
  if (!spec) return plain(0);
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      // Type ids embedded in the instruction may change during static linking: never validated.
      return plain(spec.rootTypeId, !isLocal);
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return plain(1);
    case CoreReloKind.TYPE_SIZE: {
      const size = resolveSizeOrNegative(spec.btf, spec.rootTypeId);
      if (size < 0) throw new CoreRelocationError(`type [${spec.rootTypeId}] has no size`);
      return plain(size);
    }
    default:
      throw new CoreRelocationError(`unexpected type relocation kind ${kind}`);
  }
}

function enumValue(kind: number, spec: CoreSpec | undefined): CoreValue {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return plain(spec ? 1 : 0);
  if (kind !== CoreReloKind.ENUMVAL_VALUE) throw new CoreRelocationError(`unexpected enum relocation kind ${kind}`);
  if (!spec) return POISON;
  const acc = spec.accessors[0];
  const t = acc ? spec.btf.typeById(acc.typeId) : undefined;
  if (!acc || !t || !isAnyEnum(t)) throw new CoreRelocationError("enum value relocation does not point at an enum");
  const v = t.values[acc.index]?.value ?? 0;
  // libbpf reads 32-bit enumerators as __s32 into a __u64: negative values are sign-extended.
  return plain(typeof v === "bigint" ? BigInt.asUintN(64, v) : BigInt.asUintN(64, BigInt(v | 0)));
}

/**
 * The value of relocation `kind` for `spec` (the local spec, or the matched
 * target spec / undefined). `bigEndian` is the object's byte order (bitfield shifts depend on it).
 */
export function relocationValue(kind: number, spec: CoreSpec | undefined, isLocal: boolean, bigEndian = false): CoreValue {
  switch (reloFamily(kind)) {
    case "field": return fieldValue(kind, spec, bigEndian);
    case "type": return typeValue(kind, spec, isLocal);
    case "enumval": return enumValue(kind, spec);
    default: throw new CoreRelocationError(`unknown relocation kind ${kind}`);
  }
}
