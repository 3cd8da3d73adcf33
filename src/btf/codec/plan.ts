// Type → plan compilation: a shape tree (shape.ts) becomes the tree of
// readers and writers that BtfCodec calls. Each shape is compiled once per
// codec (shapes form a DAG: a struct used by many members is compiled once);
// the root struct is compiled on its own because only it may hold the
// elements of a flexible array member.
import type { Plan } from "./context.js";
import { arrayPlan, compositePlan, type FlexibleMember } from "./aggregates.js";
import { boolPlan, enumPlan, floatPlan, intPlan, pointerPlan } from "./scalars.js";
import { bytesPlan, stringPlan } from "./text.js";
import type { Shape } from "./shape.js";

/** The root's plan, with where its flexible array member lies (if it has one). */
export interface RootPlan extends Plan {
  readonly flexible: FlexibleMember | undefined;
}

/** Compiles `root` for byte order `le`. */
export function compilePlan(root: Shape, le: boolean): RootPlan {
  const memo = new Map<Shape, Plan>();
  const compile = (s: Shape): Plan => {
    let p = memo.get(s);
    if (!p) memo.set(s, (p = compileShape(s, compile, le, false)));
    return p;
  };
  const plan = compileShape(root, compile, le, true);
  return { ...plan, flexible: "flexible" in plan ? (plan.flexible as FlexibleMember | undefined) : undefined };
}

function compileShape(s: Shape, compile: (s: Shape) => Plan, le: boolean, root: boolean): Plan {
  switch (s.kind) {
    case "int": return intPlan(s, le);
    case "bool": return boolPlan(s, le);
    case "float": return floatPlan(s, le);
    case "enum": return enumPlan(s, le);
    case "pointer": return pointerPlan(s, le);
    case "string": return stringPlan(s);
    case "bytes": return bytesPlan(s);
    case "array": return arrayPlan(s, compile);
    case "struct": case "union": return compositePlan(s, compile, le, root);
  }
}
