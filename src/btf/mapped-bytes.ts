// Kernel BTF is mmap'd read-only from sysfs (Linux 6.16+; the kernel refuses
// writable and copy-on-write mappings of it), and JavaScript has no read-only
// typed arrays: one store through a view of those pages kills the process
// with SIGSEGV. So the Btf and StringTable built on such a mapping keep their
// views to themselves and hand callers a copy (made once, on first access);
// the package reads the mapping through `RAW` without copying.

/** ArrayBuffers that are read-only mappings. */
const readOnlyBuffers = new WeakSet<ArrayBufferLike>();

/** @internal Records that `buffer` is a read-only mapping (never to be handed out). */
export function markReadOnlyMapping(buffer: ArrayBufferLike): void {
  readOnlyBuffers.add(buffer);
}

/** True when `view` aliases a read-only mapping. */
export function isReadOnlyMapping(view: ArrayBufferView): boolean {
  return readOnlyBuffers.has(view.buffer);
}

/** @internal Package-private key of the uncopied views of a Btf or StringTable (read, never write or return). */
export const RAW: unique symbol = Symbol("tsbpf.btf.raw");
