// Bad input becomes typed errors before any syscall, and no path — failing
// or succeeding — leaks a file descriptor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openSync, closeSync } from "node:fs";
import {
  BpfMap,
  MapType,
  FD,
  BadFdError,
  BpfError,
  ClosedError,
  IncompatibleError,
  InvalidArgumentError,
  KeyNotFoundError,
  NotFoundError,
  NotSupportedError,
  type MapSpec,
} from "../../src/index.js";
import { bpffsTempDir, openFdCount } from "../util/kernel.js";
import { u32, u64 } from "./map-helpers.js";

const hashSpec: MapSpec = { type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8 };

function field(name: string) {
  return (e: unknown) => e instanceof InvalidArgumentError && e.field === name;
}

test("wrong key/value sizes are InvalidArgumentError naming the field, checked before any syscall", () => {
  const m = BpfMap.create(hashSpec);
  assert.throws(() => m.lookup(new Uint8Array(3)), field("key"));
  assert.throws(() => m.update(u32(1), new Uint8Array(4)), field("value"));
  assert.throws(() => m.update(new Uint8Array(8), u64(1)), field("key"));
  assert.throws(() => m.lookupInto(u32(1), new Uint8Array(2)), field("value"));
  assert.throws(() => m.updateBatch(new Uint8Array(6), new Uint8Array(16)), field("keys"));
  assert.throws(() => m.lookupBatch(m.batchCursor(), new Uint8Array(0), new Uint8Array(0)), field("count"));
  m.close();
  // After close the size check still comes first: no syscall was attempted.
  assert.throws(() => m.lookup(new Uint8Array(3)), field("key"));
});

test("invalid specs name the field", () => {
  assert.throws(() => BpfMap.create({ ...hashSpec, keySize: -1 }), field("keySize"));
  assert.throws(() => BpfMap.create({ ...hashSpec, valueSize: 1.5 }), field("valueSize"));
  assert.throws(() => BpfMap.create({ ...hashSpec, maxEntries: 2 ** 32 }), field("maxEntries"));
  assert.throws(() => BpfMap.create({ ...hashSpec, name: "a name with spaces" }), field("name"));
  assert.throws(() => BpfMap.create({ ...hashSpec, name: "x".repeat(16) }), field("name"));
  assert.throws(() => BpfMap.create({ ...hashSpec, type: 0 }), field("type"));
  assert.throws(() => BpfMap.create({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 1 }), field("innerMap"));
  assert.throws(() => BpfMap.create({ ...hashSpec, innerMap: hashSpec }), field("innerMap"));
  assert.throws(() => BpfMap.create({ ...hashSpec, mapExtra: -1n }), field("mapExtra"));
});

test("unknown map types and specs the kernel rejects are typed errors with a clear message", () => {
  assert.throws(
    () => BpfMap.create({ type: 9999, keySize: 4, valueSize: 4, maxEntries: 1 }),
    (e) => e instanceof NotSupportedError && /map type 9999/.test(e.message),
  );
  // A queue with a key: the kernel says EINVAL; the message says why.
  assert.throws(
    () => BpfMap.create({ type: MapType.Queue, keySize: 4, valueSize: 4, maxEntries: 1 }),
    (e) => e instanceof InvalidArgumentError && /keySize 0/.test(e.message) && e.errno === 22,
  );
});

test("closed maps, absent pins and ids, non-map fds", () => {
  const m = BpfMap.create(hashSpec);
  m.close();
  m.close();
  assert.throws(() => m.lookup(u32(1)), ClosedError);
  assert.throws(() => m.update(u32(1), u64(1)), ClosedError);
  assert.throws(() => [...m.keys()], ClosedError);
  assert.throws(() => m.info(), ClosedError);
  assert.throws(() => m.pin("/sys/fs/bpf/never"), ClosedError);
  assert.throws(() => BpfMap.openPinned("/sys/fs/bpf/tsbpf-no-such-pin"), NotFoundError);
  assert.throws(() => BpfMap.fromId(0x7ffffff0), NotFoundError);
  const raw = openSync("/dev/null", "r");
  try {
    assert.throws(() => BpfMap.fromFd(raw), BadFdError);
    const owned = new FD(raw, "dev null");
    assert.throws(() => BpfMap.fromFd(owned), BadFdError);
    assert.equal(owned.closed, false, "a rejected fd stays with the caller");
    owned.release(); // closeSync below closes it; the leak net must not close it again
  } finally {
    closeSync(raw);
  }
});

test("BpfMap.ids, list, infoById and fromFd/fromId agree", () => {
  using m = BpfMap.create({ ...hashSpec, name: "listed" });
  const id = m.info().id;
  assert.ok(BpfMap.ids().includes(id));
  assert.equal(BpfMap.infoById(id).name, "listed");
  const listed = BpfMap.list().find((i) => i.id === id);
  assert.equal(listed?.name, "listed");
  using byId = BpfMap.fromId(id);
  byId.update(u32(1), u64(2));
  using byFd = BpfMap.fromFd(m.fd.dup());
  assert.equal(byFd.keySize, 4);
  assert.deepEqual(byFd.lookup(u32(1)), u64(2));
});

test("thousands of failing and succeeding map calls leave the fd count unchanged", () => {
  const dir = bpffsTempDir();
  try {
    {
      using pinned = BpfMap.create(hashSpec);
      pinned.pin(`${dir.path}/p`);
    }
    const fdsBefore = openFdCount();
    const ownedBefore = FD.openCount;
    let failures = 0;
    const expectFail = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof BpfError, `untyped error: ${String(e)}`);
        failures++;
        return;
      }
      assert.fail("expected a failure");
    };
    for (let i = 0; i < 300; i++) {
      using m = BpfMap.create(hashSpec);
      m.update(u32(i), u64(i));
      assert.ok(m.tryLookup(u32(i)));
      expectFail(() => m.lookup(u32(i + 1)));
      expectFail(() => m.delete(u32(i + 1)));
      expectFail(() => m.update(u32(1), u64(1), 3));
      expectFail(() => m.lookup(new Uint8Array(1)));
      expectFail(() => BpfMap.create({ type: 9999, keySize: 4, valueSize: 4, maxEntries: 1 }));
      expectFail(() => BpfMap.create({ type: MapType.Queue, keySize: 4, valueSize: 4, maxEntries: 1 }));
      expectFail(() => BpfMap.openPinned(`${dir.path}/absent`));
      expectFail(() => BpfMap.openPinned(`${dir.path}/p`, { expect: { keySize: 8 } }));
      expectFail(() => BpfMap.fromId(0x7ffffff0));
      expectFail(() => BpfMap.create({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { ...hashSpec, keySize: 0 } }));
      using reopened = BpfMap.openPinned(`${dir.path}/p`);
      reopened.update(u32(1), u64(i));
      using outer = BpfMap.create({ type: MapType.HashOfMaps, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: hashSpec });
      outer.setInner(u32(0), m);
      [...reopened.batchEntries()].forEach(() => undefined);
    }
    assert.ok(failures >= 3000, `only ${failures} failures`);
    assert.equal(FD.openCount, ownedBefore);
    assert.equal(openFdCount(), fdsBefore);
  } finally {
    dir.cleanup();
  }
});

test("KeyNotFoundError carries the errno and operation", () => {
  using m = BpfMap.create(hashSpec);
  try {
    m.lookup(u32(42));
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof KeyNotFoundError);
    assert.equal(e.errno, 2);
    assert.equal(e.operation, "BPF_MAP_LOOKUP_ELEM");
    assert.equal(e.code, "KEY_NOT_FOUND");
  }
  assert.ok(!(IncompatibleError.prototype instanceof KeyNotFoundError));
});

test("Map is a deprecated alias of BpfMap (same class, instanceof both ways)", async () => {
  const { Map: Alias } = await import("../../src/index.js");
  assert.equal(Alias, BpfMap);
  using m = Alias.create(hashSpec);
  assert.ok(m instanceof BpfMap);
});
