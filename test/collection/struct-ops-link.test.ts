// struct_ops links beyond register/unregister: update() swaps the map behind
// a link atomically (BPF_LINK_UPDATE with BPF_F_REPLACE), and pin() keeps a
// TCP congestion control registered after the collection and its fds are
// gone, until the pin is opened, removed and closed. Real traffic in a
// network namespace shows which implementation runs. Every test removes its
// pin and unregisters in `finally`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadObjectSpec } from "../../src/object/index.js";
import { Collection } from "../../src/collection.js";
import { StructOpsLink } from "../../src/collection/struct-ops-link.js";
import { StructOpsError } from "../../src/collection/struct-ops-error.js";
import { BpfMap } from "../../src/map.js";
import { MapType } from "../../src/map/types.js";
import { linkInfo } from "../../src/sys/link-info.js";
import { InvalidArgumentError, NotFoundError } from "../../src/sys/errors.js";
import { openFdCount } from "../util/kernel.js";
import { tcpTransfer } from "../util/tcp-transfer.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/struct-ops/${name}.bpf.o`, import.meta.url));
const AVAILABLE = "/proc/sys/net/ipv4/tcp_available_congestion_control";
const registered = (cc: string): boolean => readFileSync(AVAILABLE, "utf8").trim().split(/\s+/).includes(cc);
const CC = "tsbpf_swap";
const pinPath = (tag: string): string => `/sys/fs/bpf/tsbpf-so-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

/** The id of the map behind a struct_ops link. */
const mapBehind = (link: StructOpsLink): number | undefined => linkInfo(link.fd!).structOps?.mapId;

/** Removes a pin the test may have left (a failed assertion between pin and unpin). */
function removePin(path: string): void {
  if (existsSync(path)) unlinkSync(path);
}

test("update() swaps the registered implementation: traffic runs the new map's programs only", () => {
  const before = openFdCount();
  {
    using c = Collection.load(loadObjectSpec(fixture("tcp-swap")));
    const counts = (): [number, number] => [c.variable("calls_a").getNumber(), c.variable("calls_b").getNumber()];
    using link = c.attachStructOps("tsbpf_swap_a");
    assert.equal(mapBehind(link), c.map("tsbpf_swap_a").info().id);
    assert.equal(tcpTransfer(CC, 256 * 1024), CC);
    const [a1, b1] = counts();
    assert.ok(a1 > 0, "map a's callbacks ran");
    assert.equal(b1, 0, "map b is not registered yet");

    link.update("tsbpf_swap_b");
    assert.equal(link.mapName, "tsbpf_swap_b");
    assert.equal(mapBehind(link), c.map("tsbpf_swap_b").info().id);
    assert.ok(registered(CC), "the name stays registered across the swap");
    assert.equal(tcpTransfer(CC, 256 * 1024), CC);
    const [a2, b2] = counts();
    assert.equal(a2, a1, "map a no longer runs");
    assert.ok(b2 > 0, "map b's callbacks ran");

    // Back by Map: the value of a is already written.
    link.update(c.map("tsbpf_swap_a"));
    assert.equal(link.mapName, "tsbpf_swap_a");
    tcpTransfer(CC, 128 * 1024);
    const [a3, b3] = counts();
    assert.ok(a3 > a2);
    assert.equal(b3, b2);

    // tcp_congestion_ops swaps only to a struct with the same .name; nothing changes when refused.
    assert.throws(() => link.update("tsbpf_swap_other"), (e: unknown) => e instanceof InvalidArgumentError && /same \.name/.test(e.message));
    assert.throws(() => link.update("tsbpf_nothing"), (e: unknown) => e instanceof NotFoundError && /it has: tsbpf_swap_a, tsbpf_swap_b, tsbpf_swap_other/.test(e.message));
    // Not a struct_ops map at all.
    using array = BpfMap.create({ type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 });
    assert.throws(() => link.update(array), InvalidArgumentError);
    assert.equal(mapBehind(link), c.map("tsbpf_swap_a").info().id);
    assert.equal(link.mapName, "tsbpf_swap_a");
    assert.ok(registered(CC));
  }
  assert.ok(!registered(CC), "closing the collection unregisters");
  assert.equal(openFdCount(), before, "everything closed");
});

test("a pinned struct_ops link keeps the congestion control registered after the collection is closed", () => {
  const path = pinPath("pin");
  const before = openFdCount();
  let opened: StructOpsLink | undefined;
  try {
    {
      using c = Collection.load(loadObjectSpec(fixture("tcp-swap")));
      const link = c.attachStructOps("tsbpf_swap_a");
      link.pin(path);
      assert.equal(link.pinnedPath, path);
    }
    assert.equal(openFdCount(), before, "the collection closed every fd");
    assert.ok(registered(CC), "the pin holds the registration");
    assert.equal(tcpTransfer(CC, 64 * 1024), CC, "and it still carries traffic");

    opened = StructOpsLink.openPinned(path);
    assert.equal(opened.mapName, "tsbpf_swap_a", "the kernel's name of the map behind the link");
    assert.equal(opened.pinnedPath, path);
    opened.unpin();
    assert.ok(!existsSync(path));
    assert.equal(opened.pinnedPath, undefined);
    assert.ok(registered(CC), "the open fd still holds it");
    opened.close();
    assert.ok(!registered(CC), "last fd closed: unregistered");
  } finally {
    opened?.close();
    removePin(path);
  }
  assert.equal(openFdCount(), before);
});

test("BPF_F_REPLACE: a handle whose map was swapped elsewhere cannot overwrite the swap", () => {
  const path = pinPath("replace");
  const before = openFdCount();
  let other: StructOpsLink | undefined;
  try {
    using c = Collection.load(loadObjectSpec(fixture("tcp-swap")));
    using link = c.attachStructOps("tsbpf_swap_a");
    link.pin(path);
    other = StructOpsLink.openPinned(path);
    assert.equal(mapBehind(other), mapBehind(link), "two handles on one link");
    // A Map whose value was never written is not ready to register.
    assert.throws(() => other!.update(c.map("tsbpf_swap_b")), InvalidArgumentError);
    assert.throws(() => other!.update("tsbpf_swap_b"), (e: unknown) => e instanceof InvalidArgumentError && /not a name/.test(e.message));

    link.update("tsbpf_swap_b"); // writes b's value, then swaps
    assert.throws(() => other!.update(c.map("tsbpf_swap_a")), (e: unknown) => e instanceof InvalidArgumentError && /updated elsewhere/.test(e.message));
    assert.equal(mapBehind(link), c.map("tsbpf_swap_b").info().id, "the swap made through the other handle stands");

    other.unpin();
    other.close();
    assert.ok(registered(CC), "the collection's handle still holds the link");
  } finally {
    other?.close();
    removePin(path);
  }
  assert.ok(!registered(CC));
  assert.equal(openFdCount(), before);
});

test("plain .struct_ops maps have no link: update and pin are typed errors; non-link pins are refused", () => {
  const path = pinPath("plain");
  const before = openFdCount();
  try {
    using c = Collection.load(loadObjectSpec(fixture("tcp-reno")));
    using plain = c.attachStructOps("tsbpf_plain");
    assert.throws(() => plain.update("tsbpf_reno"), (e: unknown) => e instanceof InvalidArgumentError && /registered without a link/.test(e.message));
    assert.throws(() => plain.pin(path), InvalidArgumentError);
    assert.throws(() => plain.unpin(), NotFoundError);
    // A link may not swap to a plain map.
    using reno = c.attachStructOps("tsbpf_reno");
    assert.throws(() => reno.update("tsbpf_plain"), StructOpsError);
    plain.close();
    assert.throws(() => plain.pin(path), /closed/);

    // A pinned map is not a link.
    c.map(".bss").pin(path);
    assert.throws(() => StructOpsLink.openPinned(path), (e: unknown) => e instanceof InvalidArgumentError && /not a BPF link/.test(e.message));
    removePin(path);
    assert.throws(() => StructOpsLink.openPinned(path), NotFoundError);
  } finally {
    removePin(path);
  }
  assert.ok(!registered("tsbpf_plain") && !registered("tsbpf_reno"));
  assert.equal(openFdCount(), before);
});
