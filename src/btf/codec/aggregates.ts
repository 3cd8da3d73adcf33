// Structs, unions and arrays. A struct's reader is generated JavaScript: one
// object literal whose scalar members are read inline from the DataView (the
// code a hand-written decoder would be), so every decoded object has the same
// hidden class and no per-call dispatch happens. Writers walk the compiled
// members; they refuse unknown keys and, for a union, more than one member.
import { describeValue } from "../../sys/arguments.js";
import { atPlus, FitError, rethrowWithin, type CodeEnv, type Ctx, type Decoder, type Encoder, type Plan } from "./context.js";
import { bitfieldInline, bitfieldPlan } from "./bitfields.js";
import type { ArrayShape, CompositeShape, Field, Shape } from "./shape.js";

/** Compiles a member's shape (plan.ts passes its memoising compiler). */
export type Compile = (shape: Shape) => Plan;

/** One member as compiled: read/written at `at + offset` (bitfields: offset 0, the bit position is in the plan). */
interface Member {
  readonly name: string;
  readonly offset: number;
  readonly group: number;
  readonly decode: Decoder;
  readonly encode: Encoder;
  /** The member's reader as an expression (at byte `at + off` of the composite); calls `decode` when nothing better applies. */
  readonly inline: ((off: number, env: CodeEnv) => string) | undefined;
  /** The name is also a property of Object.prototype ("constructor", "toString"…): read it only as an own property. */
  readonly inherited: boolean;
}

/** Where a root struct's flexible array member lies, for sizing encodes. */
export interface FlexibleMember {
  readonly name: string;
  /** Byte offset of element 0. */
  readonly offset: number;
  /** Element size in bytes. */
  readonly stride: number;
}

/** A compiled struct or union; `flexible` is set for a root struct with a flexible array member. */
export interface CompositePlan extends Plan {
  readonly flexible: FlexibleMember | undefined;
}

/**
 * The plan of a struct or union. `root`: the type the codec was built for, whose flexible array member
 * (if any) takes the elements that fit in the decoded length; nested ones are always empty.
 */
export function compositePlan(s: CompositeShape, compile: Compile, le: boolean, root: boolean): CompositePlan {
  let flexible: FlexibleMember | undefined;
  const members = s.fields.map((f): Member => {
    const common = { name: f.name, group: f.group, inherited: f.name in Object.prototype };
    if (f.flexible) {
      const element = compile(f.shape);
      const offset = f.bitOffset / 8;
      if (root) flexible = { name: f.name, offset, stride: element.size };
      const plan = root ? flexibleArray(element, s.name, f.name) : emptyFlexibleArray(s.name, f.name);
      return { ...common, offset, decode: plan.decode, encode: plan.encode, inline: undefined };
    }
    if (f.bits !== undefined) {
      const b = bitfieldOf(f, f.bits, le, s.size);
      return { ...common, offset: 0, decode: b.decode, encode: b.encode, inline: b.inline };
    }
    const plan = compile(f.shape);
    return { ...common, offset: f.bitOffset / 8, decode: plan.decode, encode: plan.encode, inline: plan.inline };
  });
  return { size: s.size, decode: objectReader(members), encode: objectWriter(s, members), flexible, inline: members.length <= MAX_INLINE_MEMBERS ? (off, env) => objectLiteral(members, off, env) : undefined };
}

/** Composites with more members are read by a call, not spliced into their parent's generated reader. */
const MAX_INLINE_MEMBERS = 64;

function bitfieldOf(f: Field, bits: number, le: boolean, limit: number): { decode: Decoder; encode: Encoder; inline: ((off: number) => string) | undefined } {
  const b = f.shape;
  const signed = (b.kind === "int" || b.kind === "enum") && b.signed;
  const bigint = (b.kind === "int" || b.kind === "enum") && b.bigint;
  const plan = bitfieldPlan(f.bitOffset, bits, signed, bigint, b.name, le, b.kind === "bool");
  return { ...plan, inline: bigint ? undefined : bitfieldInline(f.bitOffset, bits, signed, b.size, limit, le) };
}

/** `{ "pid": v.getUint32(at + 0, true), "inner": { … }, "comm": p3(c, at + 8) }` for the composite at `at + off`. */
function objectLiteral(members: readonly Member[], off: number, env: CodeEnv): string {
  const props = members.map((m) => {
    const key = m.name === "__proto__" ? `["__proto__"]` : JSON.stringify(m.name);
    const at = off + m.offset;
    return `${key}: ${m.inline ? m.inline(at, env) : `${env.ref(m.decode)}(c, ${atPlus(at)})`}`;
  });
  return `{ ${props.join(", ")} }`;
}

/** The generated reader: one object literal (objectLiteral), functions it calls bound as parameters. */
function objectReader(members: readonly Member[]): Decoder {
  const params: string[] = [];
  const args: unknown[] = [];
  const names = new Map<unknown, string>();
  const env: CodeEnv = {
    ref(value) {
      let name = names.get(value);
      if (name === undefined) {
        name = `p${params.length}`;
        names.set(value, name);
        params.push(name);
        args.push(value);
      }
      return name;
    },
  };
  const literal = objectLiteral(members, 0, env);
  try {
    const body = `"use strict"; return function readObject(c, at) { const v = c.v; return ${literal}; };`;
    return new Function(...params, body)(...args) as Decoder;
  } catch {
    // Code generation disabled (node --disallow-code-generation-from-strings): the same object, built by a loop.
    return (c, at) => {
      const o: Record<string, unknown> = {};
      for (const m of members) Object.defineProperty(o, m.name, { value: m.decode(c, at + m.offset), enumerable: true, writable: true, configurable: true });
      return o;
    };
  }
}

function objectWriter(s: CompositeShape, members: readonly Member[]): Encoder {
  const union = s.kind === "union";
  const known = new Set(members.map((m) => m.name));
  const n = members.length;
  return (c: Ctx, at: number, x: unknown): void => {
    if (typeof x !== "object" || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) {
      throw new FitError(`expected an object for ${s.name}, got ${describeValue(x)}`);
    }
    const o = x as Record<string, unknown>;
    let given = 0;
    let group = -1;
    let first = "";
    for (let i = 0; i < n; i++) {
      const m = members[i] as Member;
      const val = m.inherited ? (Object.prototype.hasOwnProperty.call(o, m.name) ? o[m.name] : undefined) : o[m.name];
      if (val === undefined) continue;
      given++;
      if (union) {
        if (group >= 0 && group !== m.group) throw new FitError(`a union takes one member, got '${first}' and '${m.name}' (${s.name})`);
        if (group < 0) first = m.name;
        group = m.group;
      }
      try {
        m.encode(c, at + m.offset, val);
      } catch (e) {
        rethrowWithin(e, `.${m.name}`);
      }
    }
    let keys = 0;
    for (const k in o) if (o[k] !== undefined) keys++;
    if (keys !== given) {
      for (const k in o) {
        if (o[k] !== undefined && !known.has(k)) {
          const names = [...known].slice(0, 12).join(", ");
          throw new FitError(`no member '${k}' (members: ${names}${known.size > 12 ? ", …" : ""})`);
        }
      }
    }
  };
}

/** A root struct's flexible array member: on decode, the elements that fit before the end of the source. */
function flexibleArray(element: Plan, structName: string, name: string): { decode: Decoder; encode: Encoder } {
  const stride = element.size;
  const dec = element.decode;
  return {
    decode: (c, at) => {
      const count = stride > 0 ? Math.max(0, Math.floor((c.end - at) / stride)) : 0;
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(dec(c, at + i * stride));
      return out;
    },
    encode: (c, at, x) => {
      if (!Array.isArray(x)) throw new FitError(`expected an array for the flexible array member ${name} of ${structName}, got ${describeValue(x)}`);
      if (stride === 0 && x.length > 0) throw new FitError(`elements of ${name} have no size; only an empty array fits`);
      elements(element, c, at, x);
    },
  };
}

/** A flexible array member of a nested struct: there is no room for elements. */
function emptyFlexibleArray(structName: string, name: string): { decode: Decoder; encode: Encoder } {
  return {
    decode: () => [],
    encode: (_c, _at, x) => {
      if (!Array.isArray(x) || x.length !== 0) {
        throw new FitError(`the flexible array member ${name} of ${structName} holds no elements where ${structName} is nested; got ${describeValue(x)}`);
      }
    },
  };
}

function elements(element: Plan, c: Ctx, at: number, x: readonly unknown[]): void {
  const stride = element.size;
  const enc = element.encode;
  for (let i = 0; i < x.length; i++) {
    try {
      enc(c, at + i * stride, x[i]);
    } catch (e) {
      rethrowWithin(e, `[${i}]`);
    }
  }
}

/** T[N] ⇄ an array of exactly N elements. */
export function arrayPlan(s: ArrayShape, compile: Compile): Plan {
  const element = compile(s.element);
  const n = s.length;
  const stride = s.stride;
  const dec = element.decode;
  return {
    size: s.size,
    decode: (c, at) => {
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(dec(c, at + i * stride));
      return out;
    },
    encode: (c, at, x) => {
      if (!Array.isArray(x) || x.length !== n) {
        throw new FitError(`expected an array of ${n} elements for ${s.name}, got ${Array.isArray(x) ? `${x.length} elements` : describeValue(x)}`);
      }
      elements(element, c, at, x);
    },
  };
}
