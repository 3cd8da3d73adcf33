// Public entry point of programs; the implementation lives in ./program/.
export * from "./program/index.js";
