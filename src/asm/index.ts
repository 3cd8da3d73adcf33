// The instruction set: model, encoding, builder, helper table, disassembler.
export * from "./opcodes.js";
export * from "./registers.js";
export * from "./instruction.js";
export * from "./encoding.js";
export * from "./errors.js";
export * from "./helpers.js";
export * from "./builder.js";
export * from "./disasm.js";
export * from "./xlated-dump.js";
export * from "./kallsyms.js";
