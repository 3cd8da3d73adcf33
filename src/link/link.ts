// Link: a program attached somewhere. It owns every fd that keeps the
// attachment alive — a BPF link fd, and for perf-event based attachments the
// perf event fd as well — so closing it detaches the program.
import type { FD } from "../sys/fd.js";
import { NotSupportedError } from "../sys/errors.js";
import { linkInfo, type LinkInfo } from "../sys/link-info.js";

/** An attachment of a program. Close it (or use `using`) to detach. */
export class Link implements Disposable {
  readonly #link: FD | undefined;
  /** Closed after the link fd, in order. */
  readonly #others: readonly FD[];
  /** What the program is attached to, in words ("tracepoint syscalls/sys_enter_openat"). */
  readonly target: string;

  /** @internal Built by the attach functions of src/link/. */
  constructor(parts: { link?: FD; others?: readonly FD[]; target: string }) {
    this.#link = parts.link;
    this.#others = parts.others ?? [];
    this.target = parts.target;
  }

  /** True when the attachment is a BPF link (it has an id and info); false for legacy attachments (e.g. PERF_EVENT_IOC_SET_BPF). */
  get isBpfLink(): boolean {
    return this.#link !== undefined;
  }

  /** The BPF link fd (still owned by the link); NotSupportedError for legacy attachments. */
  get fd(): FD {
    if (!this.#link) throw new NotSupportedError(`a BPF link fd for ${this.target} (attached without a BPF link)`);
    return this.#link;
  }

  /** What the kernel reports about the link (Linux 5.8+). */
  info(): LinkInfo {
    return linkInfo(this.fd);
  }

  /** True after close(). */
  get closed(): boolean {
    return (this.#link ?? this.#others[0])?.closed ?? true;
  }

  /** Detaches: closes the link fd, then the fds it depended on. Idempotent. */
  close(): void {
    this.#link?.close();
    for (const fd of this.#others) fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `Link(${this.target}${this.closed ? ", closed" : ""})`;
  }
}
