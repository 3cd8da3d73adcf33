// Which kind of BPF object an fd refers to, by the name the kernel gives its
// anonymous inode ("anon_inode:bpf-map" in /proc/PID/fd): this tells maps,
// programs and links apart without a syscall that would misread another
// object's info. One table, so every caller knows both spellings of links.
import { readlinkSync } from "node:fs";

/** The BPF object kinds an fd can be told apart by. */
export type BpfFdKind = "prog" | "map" | "link";

const KIND_OF_TARGET: Readonly<Record<string, BpfFdKind>> = {
  "anon_inode:bpf-prog": "prog",
  "anon_inode:bpf-map": "map",
  // Older kernels name the link inode with an underscore, newer ones with a dash.
  "anon_inode:bpf_link": "link",
  "anon_inode:bpf-link": "link",
};

/** The kind named by a /proc/PID/fd link target, or undefined for anything else. */
export function bpfKindOfTarget(target: string): BpfFdKind | undefined {
  return KIND_OF_TARGET[target];
}

/** What /proc/self/fd/N points at, or undefined when it cannot be read (no procfs, or N is not open). */
export function ownFdTarget(raw: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${raw}`);
  } catch {
    return undefined;
  }
}

const KIND_NOUN: Readonly<Record<BpfFdKind, string>> = { prog: "a BPF program", map: "a BPF map", link: "a BPF link" };

/**
 * What `raw` refers to when it is not a BPF object of kind `want` ("a BPF
 * program", "anon_inode:[eventfd]", "/dev/null"), or undefined when it is one
 * (or when procfs cannot tell: the kernel's own checks then decide).
 */
export function bpfFdKindMismatch(raw: number, want: BpfFdKind): string | undefined {
  const target = ownFdTarget(raw);
  if (target === undefined) return undefined;
  const kind = bpfKindOfTarget(target);
  if (kind === want) return undefined;
  return kind ? KIND_NOUN[kind] : target;
}
