// attachSockmap on the real kernel with TCP connections of this process over
// loopback: an sk_msg verdict counts the bytes a socket in its sockmap sends,
// sk_skb stream parser + verdict (sockhash) and sk_skb verdict count what a
// socket in their map receives, and the data still arrives (SK_PASS). Both
// the sockmap BPF link and BPF_PROG_ATTACH to the map fd; after close the
// map has no program (BPF_PROG_QUERY) and no link stays.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { AttachType } from "../../src/program.js";
import type { BpfMap } from "../../src/map.js";
import { progQuery } from "../../src/sys/attach.js";
import { ClosedError, InvalidArgumentError } from "../../src/sys/errors.js";
import { LinkType } from "../../src/sys/link-info.js";
import { FD } from "../../src/sys/fd.js";
import { attachSockmap, nodeSocketFd, sockmapOfSection, Link } from "../../src/link/index.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/cgroup-sock/sockmap.bpf.o", import.meta.url));

/** A connected pair over 127.0.0.1: the client and the server's side. */
async function tcpPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const listener = createServer();
  const accepted = new Promise<Socket>((resolve) => listener.once("connection", resolve));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const port = (listener.address() as { port: number }).port;
  const client = connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", resolve));
  const server = await accepted;
  return { client, server, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}

function putSocket(map: BpfMap, key: number, socket: Socket): void {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  const v = new Uint8Array(8);
  new DataView(v.buffer).setBigUint64(0, BigInt(nodeSocketFd(socket)), true);
  map.update(k, v);
}

function removeSocket(map: BpfMap, key: number): void {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  map.delete(k);
}

/** Writes `text` on `from` and resolves with what `to` received (text.length bytes). */
async function send(from: Socket, to: Socket, text: string): Promise<string> {
  let got = "";
  const done = new Promise<void>((resolve) => {
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length >= text.length) {
        to.off("data", onData);
        resolve();
      }
    };
    to.on("data", onData);
  });
  from.write(text);
  await done;
  return got;
}

function attachedTo(map: BpfMap, attachType: AttachType): number[] {
  return progQuery({ targetFd: map.fd, attachType }).progIds;
}

test("sockmapOfSection", () => {
  assert.equal(sockmapOfSection("sk_msg"), AttachType.SkMsgVerdict);
  assert.equal(sockmapOfSection("sk_skb/stream_parser"), AttachType.SkSKBStreamParser);
  assert.equal(sockmapOfSection("sk_skb/stream_verdict"), AttachType.SkSKBStreamVerdict);
  assert.equal(sockmapOfSection("sk_skb/verdict"), AttachType.SkSKBVerdict);
  assert.equal(sockmapOfSection("sk_skb"), undefined);
  assert.equal(sockmapOfSection("sk_lookup"), undefined);
});

for (const method of ["link", "attach"] as const) {
  test(`sk_msg verdict (${method}) counts what a socket in the sockmap sends; close leaves the map without program`, async () => {
    using c = Collection.load(loadObjectSpec(OBJECT));
    const map = c.map("msg_socks");
    const prog = c.program("count_msg");
    const pair = await tcpPair();
    try {
      const link = attachSockmap(prog, map, { method });
      try {
        assert.equal(link.isBpfLink, method === "link");
        assert.equal(link.target, "sk_msg_verdict on sockmap 'msg_socks'");
        if (method === "link") assert.equal(link.info().type, LinkType.SOCKMAP);
        assert.deepEqual(attachedTo(map, AttachType.SkMsgVerdict), [prog.id]);
        // Sockets take the map's programs when they are added, so add after attaching.
        putSocket(map, 0, pair.client);
        assert.equal(await send(pair.client, pair.server, "hello sockmap"), "hello sockmap");
        assert.equal(c.variable("msg_bytes").getBigInt(), 13n);
        removeSocket(map, 0);
      } finally {
        link.close();
      }
      assert.deepEqual(attachedTo(map, AttachType.SkMsgVerdict), []);
      assert.equal(await send(pair.client, pair.server, "after"), "after");
      assert.equal(c.variable("msg_bytes").getBigInt(), 13n);
    } finally {
      pair.close();
    }
  });
}

test("sk_skb stream parser + stream verdict on a sockhash see what a socket receives; data passes", async () => {
  using c = Collection.load(loadObjectSpec(OBJECT));
  const map = c.map("skb_socks");
  const pair = await tcpPair();
  try {
    using parser = attachSockmap(c.program("parse_whole"), map);
    using verdict = attachSockmap(c.program("count_stream_verdict"), map);
    assert.equal(parser.target, "sk_skb_stream_parser on sockhash 'skb_socks'");
    assert.equal(verdict.target, "sk_skb_stream_verdict on sockhash 'skb_socks'");
    putSocket(map, 7, pair.server);
    assert.equal(await send(pair.client, pair.server, "abcdefgh"), "abcdefgh");
    assert.ok(c.variable("parsed").getBigInt() >= 1n);
    assert.equal(c.variable("stream_verdicts").getBigInt(), 8n);
    removeSocket(map, 7);
  } finally {
    pair.close();
  }
  assert.deepEqual(attachedTo(map, AttachType.SkSKBStreamParser), []);
  assert.deepEqual(attachedTo(map, AttachType.SkSKBStreamVerdict), []);
});

test("sk_skb verdict through PROG_ATTACH; update swaps the program; a link that takes the hook over leaves close nothing to undo", async () => {
  using c = Collection.load(loadObjectSpec(OBJECT));
  const map = c.map("msg_socks");
  const pair = await tcpPair();
  try {
    using link = attachSockmap(c.program("count_verdict"), map, { method: "attach" });
    link.update(c.program("count_verdict"));
    assert.deepEqual(attachedTo(map, AttachType.SkSKBVerdict), [c.program("count_verdict").id]);
    putSocket(map, 1, pair.server);
    assert.equal(await send(pair.client, pair.server, "verdict"), "verdict");
    assert.equal(c.variable("verdicts").getBigInt(), 7n);
    removeSocket(map, 1);
    // The kernel lets a sockmap link replace a PROG_ATTACH program; closing the older handle then has nothing to undo.
    using takeover = attachSockmap(c.program("count_verdict"), map, { method: "link" });
    assert.equal(takeover.isBpfLink, true);
  } finally {
    pair.close();
  }
  assert.deepEqual(attachedTo(map, AttachType.SkSKBVerdict), []);
});

test("bad input: a map of another type, a program of another hook, closed program — nothing attached", () => {
  using c = Collection.load(loadObjectSpec(OBJECT));
  const fds = FD.openCount;
  const map = c.map("msg_socks");
  const counters = [...c.maps.values()].find((m) => m.name.endsWith(".bss"))!;
  assert.throws(() => attachSockmap(c.program("count_msg"), counters), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(counters.name));
  assert.throws(() => attachSockmap(c.program("count_msg"), map, { attachType: AttachType.SkSKBVerdict }), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes("sk_skb_verdict"));
  assert.throws(() => attachSockmap(c.program("count_msg"), map, { attachType: AttachType.XDP }), InvalidArgumentError);
  const closed = c.takeProgram("count_verdict");
  closed.close();
  assert.throws(() => attachSockmap(closed, map), (e: unknown) => e instanceof ClosedError && e.message.includes("msg_socks"));
  for (const t of [AttachType.SkMsgVerdict, AttachType.SkSKBVerdict]) assert.deepEqual(attachedTo(map, t), []);
  assert.equal(FD.openCount, fds - 1, "no fd left open (one fewer: the program the test closed)");
  const link: Link = attachSockmap(c.program("count_msg"), map);
  link.close();
  assert.equal(FD.openCount, fds - 1);
});
