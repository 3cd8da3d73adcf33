// What an instruction of a program refers to, beyond its own bits: maps,
// global data, subprograms, externs. The loader turns each reference into a
// map fd, a BTF id or a pc-relative offset; the spec only records them.

/** A symbolic reference carried by one instruction slot of a program. */
export type InstructionReference =
  /** ld_imm64 of a map defined in `.maps` (or legacy `maps`): becomes BPF_PSEUDO_MAP_FD. */
  | { readonly kind: "map"; readonly map: string }
  /**
   * ld_imm64 of an address in a global-data section (.data, .rodata, .bss …):
   * becomes BPF_PSEUDO_MAP_VALUE of the section's map, at byte `offset`.
   */
  | { readonly kind: "data"; readonly map: string; readonly offset: number }
  /** bpf-to-bpf call of a subprogram; the linked `imm` already points at it. */
  | { readonly kind: "call"; readonly function: string }
  /** ld_imm64 of a function's address (a callback, BPF_PSEUDO_FUNC); the linked `imm` already points at it. */
  | { readonly kind: "function"; readonly function: string }
  /** ld_imm64 of a `.kconfig` extern: becomes a load from the .kconfig map. */
  | { readonly kind: "kconfig"; readonly extern: string }
  /** ld_imm64 of a `__ksym` kernel variable: becomes BPF_PSEUDO_BTF_ID (typed) or its address (untyped). */
  | { readonly kind: "ksym"; readonly extern: string }
  /** call of a kernel function (kfunc): becomes BPF_PSEUDO_KFUNC_CALL with the function's BTF id. */
  | { readonly kind: "kfunc"; readonly extern: string };
