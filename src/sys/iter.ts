// BPF iterators: BPF_ITER_CREATE turns an iterator link into a readable file
// whose content is what the iterator program prints; readIterator drains it.
import { readSync } from "node:fs";
import { Attr } from "./attr.js";
import { Cmd, IterCreateAttr } from "./layouts.js";
import { bpfRaw } from "./syscall.js";
import { FD } from "./fd.js";
import { attachError } from "./attach-errors.js";
import { errorFromErrno } from "./errors.js";

const attr = new Attr(IterCreateAttr);

/** Opens a new iteration of an iterator link (BPF_ITER_CREATE, Linux 5.8). Each fd iterates once. */
export function iterCreate(linkFd: FD): FD {
  attr.zero().set("link_fd", linkFd.raw);
  const r = bpfRaw(Cmd.ITER_CREATE, attr.address, attr.size);
  if (r < 0) throw attachError(-r, { operation: "BPF_ITER_CREATE", target: `${linkFd} (must be an iterator link)` });
  return new FD(r, "iterator fd");
}

const RETRYABLE = new Set(["EAGAIN", "EINTR"]);
// Retrying EAGAIN forever would hang on a fd that never has data; the kernel
// only returns it transiently (e.g. an iterator restarting a bucket).
const MAX_RETRIES = 1000;

/**
 * Reads an iterator fd to its end with a synchronous read loop and returns
 * every byte. EAGAIN/EINTR are retried. `chunkSize` is the read size (the
 * kernel fills at most one page of seq_file output per read anyway).
 */
export function readIterator(fd: FD, chunkSize = 64 * 1024): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let chunk = new Uint8Array(chunkSize);
  let retries = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd.raw, chunk, 0, chunk.byteLength, null);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code && RETRYABLE.has(err.code) && retries++ < MAX_RETRIES) continue;
      throw errorFromErrno(-(err.errno ?? -5), "read(iterator fd)", `${fd}`);
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (n === chunk.byteLength) chunk = new Uint8Array(chunkSize);
    else chunk = chunk.subarray(n);
    if (chunk.byteLength < 4096) chunk = new Uint8Array(chunkSize);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** readIterator decoded as UTF-8 text (what bpf_seq_printf wrote). */
export function readIteratorText(fd: FD): string {
  return new TextDecoder().decode(readIterator(fd));
}
