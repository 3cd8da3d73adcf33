// The netlink layer: messages built and parsed as bytes (pure, fuzzed: a
// malformed reply is a NetlinkParseError, never a hang or a RangeError), and
// against the kernel inside a namespace the test makes: interfaces by name,
// and failures as typed errors carrying the kernel's extended-ack text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import {
  attrNested, attrString, attrU32, attributeList, MessageBuilder, NetlinkParseError, parseAttributes, parseMessages,
} from "../../src/sys/netlink/message.js";
import { NetlinkSocket } from "../../src/sys/netlink/socket.js";
import { interfaceByIndex, interfaceByName, listInterfaces } from "../../src/sys/netlink/interfaces.js";
import { deleteFilter, TcHandle } from "../../src/sys/netlink/tc.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { canUseNetns, inNetns, vethPair } from "../util/netns.js";

test("a built message parses back: header, fixed header, attributes, nesting", () => {
  const bytes = new MessageBuilder(44, 0x5).header(Uint8Array.of(1, 2, 3, 4)).string(1, "bpf")
    .nest(2).u32(6, 0xdeadbeef).string(7, "name:[1]").end().u8(9, 7).finish(42, 99);
  const [m, ...rest] = parseMessages(bytes);
  assert.equal(rest.length, 0);
  assert.deepEqual([m!.type, m!.flags, m!.seq, m!.portId], [44, 5, 42, 99]);
  assert.deepEqual([...m!.payload.subarray(0, 4)], [1, 2, 3, 4]);
  const attrs = parseAttributes(m!.payload.subarray(4));
  assert.equal(attrString(attrs, 1), "bpf");
  const nested = attrNested(attrs, 2)!;
  assert.equal(attrU32(nested, 6), 0xdeadbeef);
  assert.equal(attrString(nested, 7), "name:[1]");
  assert.deepEqual(attributeList(m!.payload.subarray(4)).map((a) => a.type), [1, 2, 9], "the nested flag is stripped from the type");
  assert.equal(bytes.length % 4, 0);
  assert.throws(() => new MessageBuilder(1, 0).nest(1).finish(1), InvalidArgumentError);
});

test("malformed replies: NetlinkParseError only, whatever the bytes", () => {
  assert.throws(() => parseMessages(Uint8Array.of(8, 0, 0, 0, ...new Array<number>(12).fill(0))), NetlinkParseError, "length below the header");
  assert.throws(() => parseMessages(Uint8Array.of(200, 0, 0, 0, ...new Array<number>(12).fill(0))), NetlinkParseError, "length past the end");
  assert.throws(() => parseAttributes(Uint8Array.of(2, 0, 1, 0)), NetlinkParseError);
  assert.deepEqual(parseMessages(new Uint8Array(7)), [], "a tail shorter than a header is ignored");
  const good = new MessageBuilder(16, 0).header(new Uint8Array(16)).string(3, "veth0").nest(43).u8(2, 1).end().finish(1);
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const bytes = good.slice(0, random(good.length + 1));
    for (let j = random(4); j > 0; j--) bytes[random(bytes.length || 1)] = random(256);
    try {
      for (const m of parseMessages(bytes)) {
        const attrs = parseAttributes(m.payload.subarray(Math.min(16, m.payload.length)));
        attrString(attrs, 3);
        if (attrs.has(43)) attrNested(attrs, 43);
      }
    } catch (e) {
      assert.ok(e instanceof NetlinkParseError, `iteration ${i}: ${String(e)}`);
    }
  }
});

test("rtnetlink in a test namespace: interfaces by name and index; errors carry the kernel's extended ack; no fd leaks", (t) => {
  if (!canUseNetns(t)) return;
  const net = vethPair();
  try {
    const before = readdirSync("/proc/self/fd").length;
    inNetns(net.a, () => {
      using socket = new NetlinkSocket();
      assert.deepEqual(interfaceByName(socket, "veth0"), { ifindex: net.ifindex, name: "veth0", xdp: { attached: 0 } });
      assert.equal(interfaceByIndex(socket, net.ifindex).name, "veth0");
      assert.deepEqual(listInterfaces(socket).map((i) => i.name).sort(), ["lo", "veth0"]);
      assert.throws(() => interfaceByName(socket, "nonesuch0"), (e) => e instanceof NotFoundError && /'nonesuch0'/.test(e.message));
      assert.throws(() => interfaceByName(socket, "x".repeat(16)), InvalidArgumentError);
      assert.throws(
        () => deleteFilter(socket, { ifindex: net.ifindex, parent: TcHandle.INGRESS, priority: 9, handle: 1 }),
        (e) => e instanceof InvalidArgumentError && /Parent Qdisc doesn't exists \(EINVAL\)/.test(e.message) && e.errno === 22,
      );
    });
    assert.equal(readdirSync("/proc/self/fd").length, before);
  } finally {
    net.cleanup();
  }
});
