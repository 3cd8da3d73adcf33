// attachSocketFilter on a Node dgram socket: the filter of socket.bpf.c drops
// datagrams starting with 'D' and cuts those starting with 'T' to 4 bytes;
// what the socket receives shows it ran, and after close everything arrives
// whole again and nothing holds the program. attachReuseport is refused on a
// socket outside a reuseport group. Bad input gets typed errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { createServer } from "node:net";
import { openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { Program } from "../../src/program.js";
import { FD } from "../../src/sys/fd.js";
import { rawSyscall, SYS } from "../../src/sys/syscall.js";
import { SocketOption } from "../../src/sys/socket.js";
import { BadFdError, ClosedError, InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { attachReuseport, attachSocketFilter } from "../../src/link/index.js";

const SOCKET_OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/socket.bpf.o", import.meta.url));
const CGROUP_OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/cgroup.bpf.o", import.meta.url));

async function programGone(id: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      Program.infoById(id);
    } catch (e) {
      if (e instanceof NotFoundError) return true;
      throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function boundReceiver(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  return s;
}

/** Sends each payload to `receiver`, then "end", and resolves with what the receiver got before "end". */
async function exchange(receiver: Socket, payloads: string[]): Promise<string[]> {
  const got: string[] = [];
  const done = new Promise<void>((resolve) => {
    const onMessage = (m: Buffer): void => {
      if (m.toString() === "end") {
        receiver.off("message", onMessage);
        resolve();
      } else {
        got.push(m.toString());
      }
    };
    receiver.on("message", onMessage);
  });
  const sender = createSocket("udp4");
  const { port } = receiver.address();
  for (const p of [...payloads, "end"]) await new Promise<void>((resolve, reject) => sender.send(p, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
  await done;
  sender.close();
  return got;
}

test("a socket filter on a Node dgram socket drops and truncates datagrams; close restores them", async () => {
  const receiver = await boundReceiver();
  let progId: number;
  try {
    const c = Collection.load(loadObjectSpec(SOCKET_OBJECT));
    try {
      const filter = c.program("trim_udp");
      progId = filter.id;
      const seen = c.variable("datagrams_seen");
      const link = attachSocketFilter(filter, receiver);
      try {
        assert.equal(link.isBpfLink, false);
        assert.match(link.target, /^socket filter on socket fd \d+$/);
        assert.deepEqual(await exchange(receiver, ["hello", "Drop me", "Truncated"]), ["hello", "Trun"]);
        assert.equal(seen.getBigInt(), 4n, "the filter saw the three datagrams and the end marker");
      } finally {
        link.close();
      }
      assert.deepEqual(await exchange(receiver, ["Drop me", "Truncated"]), ["Drop me", "Truncated"]);
      assert.equal(seen.getBigInt(), 4n, "the filter no longer runs");
    } finally {
      c.close();
    }
  } finally {
    receiver.close();
  }
  // Nothing holds the program any more: the kernel frees it (after an RCU grace period, so ask a few times).
  assert.ok(await programGone(progId), `program ${progId} is still loaded`);
});

test("update swaps the filter in place; detach keeps the handle", async () => {
  const receiver = await boundReceiver();
  try {
    using c = Collection.load(loadObjectSpec(SOCKET_OBJECT));
    using link = attachSocketFilter(c.program("trim_udp"), receiver);
    link.update(c.program("trim_udp"));
    assert.deepEqual(await exchange(receiver, ["Dropped", "kept"]), ["kept"]);
    link.detach();
    assert.deepEqual(await exchange(receiver, ["Dropped"]), ["Dropped"]);
  } finally {
    receiver.close();
  }
});

test("bad input: a non-socket fd, an unbound socket, a wrong program type and a closed program", async () => {
  using c = Collection.load(loadObjectSpec(SOCKET_OBJECT));
  using cg = Collection.load(loadObjectSpec(CGROUP_OBJECT));
  const filter = c.program("trim_udp");
  const fds = FD.openCount;
  using file = new FD(openSync("/etc/hostname", "r"), "file");
  assert.throws(() => attachSocketFilter(filter, file), (e: unknown) => e instanceof InvalidArgumentError && /is not a socket/.test(e.message) && e.message.includes(`${file.raw}`));
  assert.throws(() => attachSocketFilter(filter, 100_000), (e: unknown) => e instanceof BadFdError && e.message === "socket fd 100000 is not open");
  assert.throws(() => attachSocketFilter(filter, { not: "a socket" }), InvalidArgumentError);
  const unbound = createSocket("udp4");
  assert.throws(() => attachSocketFilter(filter, unbound), /bind or connect it first/);
  unbound.close();
  const receiver = await boundReceiver();
  try {
    assert.throws(() => attachSocketFilter(cg.program("count_egress"), receiver), (e: unknown) => e instanceof InvalidArgumentError && /socket_filter/.test(e.message));
    // A socket outside a SO_REUSEPORT group has no reuseport selector to set.
    assert.throws(() => attachReuseport(c.program("count_reuseport"), receiver), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("reuseport"));
    const closed = c.takeProgram("trim_udp");
    closed.close();
    assert.throws(() => attachSocketFilter(closed, receiver), ClosedError);
    assert.deepEqual(await exchange(receiver, ["Dropped?"]), ["Dropped?"]);
  } finally {
    receiver.close();
  }
  file.close();
  assert.equal(FD.openCount, fds - 1, "no FD left open (the one fewer is the program the test closed)");
});

test("a socket filter on a listening net.Server's socket is accepted (its fd comes from the libuv handle)", async () => {
  using c = Collection.load(loadObjectSpec(SOCKET_OBJECT));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    using link = attachSocketFilter(c.program("trim_udp"), server);
    assert.match(link.target, /socket fd \d+/);
  } finally {
    server.close();
  }
});

// Node 20 cannot set SO_REUSEPORT, so the reuseport group is made with raw
// socket(2)/setsockopt(2)/bind(2) calls (x86-64 and arm64 numbers).
const socketCalls: Record<string, { socket: number; bind: number; getsockname: number }> = {
  x64: { socket: 41, bind: 49, getsockname: 51 }, arm64: { socket: 198, bind: 200, getsockname: 204 },
};

function reuseportUdpSocket(port: number): FD {
  const nr = socketCalls[process.arch]!;
  const AF_INET = 2;
  const SOCK_DGRAM_CLOEXEC = 2 | 0o2000000;
  const SO_REUSEPORT = 15;
  const fd = new FD(rawSyscall(nr.socket, AF_INET, SOCK_DGRAM_CLOEXEC, 0), "udp socket");
  const one = new Uint8Array(4);
  one[0] = 1;
  assert.equal(rawSyscall(SYS.setsockopt, fd.raw, SocketOption.SOL_SOCKET, SO_REUSEPORT, one, 4), 0);
  const addr = new Uint8Array(16);
  const v = new DataView(addr.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  addr.set([127, 0, 0, 1], 4);
  const r = rawSyscall(nr.bind, fd.raw, addr, 16);
  if (r < 0) fd.close();
  assert.equal(r, 0, `bind 127.0.0.1:${port}: errno ${-r}`);
  return fd;
}

/** The port a socket is bound to (getsockname). */
function boundPort(fd: FD): number {
  const addr = new Uint8Array(16);
  const len = new Uint8Array(4);
  len[0] = 16;
  assert.equal(rawSyscall(socketCalls[process.arch]!.getsockname, fd.raw, addr, len), 0);
  return new DataView(addr.buffer).getUint16(2, false);
}

test("an sk_reuseport program runs for datagrams to its SO_REUSEPORT group; close detaches it", async () => {
  assert.ok(socketCalls[process.arch], `this test needs the socket/bind syscall numbers of ${process.arch}`);
  using c = Collection.load(loadObjectSpec(SOCKET_OBJECT));
  const selections = c.variable("reuseport_selections");
  // A free port from the kernel for the first socket; the second joins its group.
  using first = reuseportUdpSocket(0);
  const port = boundPort(first);
  using second = reuseportUdpSocket(port);
  const sender = createSocket("udp4");
  const sendOne = (): Promise<void> => new Promise((resolve, reject) => sender.send("pick", port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
  try {
    const link = attachReuseport(c.program("count_reuseport"), first);
    try {
      assert.match(link.target, /^reuseport selector on socket fd \d+$/);
      for (let i = 0; i < 3; i++) await sendOne();
      assert.equal(selections.getBigInt(), 3n);
      link.update(c.program("count_reuseport"));
      await sendOne();
      assert.equal(selections.getBigInt(), 4n);
    } finally {
      link.close();
    }
    await sendOne();
    assert.equal(selections.getBigInt(), 4n, "the selector no longer runs");
    assert.equal(second.closed, false);
  } finally {
    sender.close();
  }
});
