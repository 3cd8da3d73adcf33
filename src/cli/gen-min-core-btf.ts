// `tsbpf gen min_core_btf INPUT OUTPUT OBJECT [OBJECT…]`, as bpftool has
// it: the minimal BTF (from INPUT, a kernel's BTF) that the objects' CO-RE
// relocations need, written to OUTPUT. Everything is computed before
// OUTPUT is touched, and the file appears by rename, so a failure leaves
// no output (and never a truncated one).
import { renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Args } from "./args.js";
import type { Context } from "./command.js";
import { loadBtfFile } from "../btf/discovery.js";
import { BtfError } from "../btf/errors.js";
import { loadObjectSpec } from "../object/object-spec.js";
import { minimizeCoreRelocations, relocationSource } from "../gen/min-core-btf/index.js";

/** Runs `load`, naming `file` in a BtfError's message (the BTF layer's messages say what is wrong, not where). */
function named<T>(file: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof BtfError && !e.message.includes(file)) e.message = `${file}: ${e.message}`;
    throw e;
  }
}

/** Runs `tsbpf gen min_core_btf`. */
export function run(args: Args, ctx: Context): Promise<number | void> {
  const input = args.next("INPUT (the kernel BTF to take types from, e.g. /sys/kernel/btf/vmlinux)");
  const output = args.next("OUTPUT (the file to write the minimal BTF to)");
  const objects = [args.next("OBJECT (a BPF object with CO-RE relocations)")];
  while (args.remaining > 0) objects.push(args.next("OBJECT"));
  const target = named(input, () => loadBtfFile(input));
  const sources = objects.map((file) => relocationSource(loadObjectSpec(file)));
  const result = minimizeCoreRelocations(target, sources);
  const temporary = path.join(path.dirname(output), `.${path.basename(output)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, result.bytes);
    renameSync(temporary, output);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
  if (ctx.options.debug) {
    process.stderr.write(`min_core_btf: ${result.types} types, ${result.bytes.length} bytes for ${result.relocations} relocations ` +
      `(${result.unmatched} without a match in ${input}) of ${objects.length} object(s)\n`);
  }
  return Promise.resolve();
}
