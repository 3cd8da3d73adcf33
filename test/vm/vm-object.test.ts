// The machine runs a real object (test/fixtures/vm/packets.bpf.c) the way
// the kernel does: every program, on every packet of the corpus, in the
// kernel (BPF_PROG_TEST_RUN), the interpreter and the JIT — same return
// values, output packets, contexts, and afterwards the same map contents.
// Then what the kernel comparison cannot show: ring buffer records, .rodata
// config set before load, tail calls, kconfig/ksym options, typed errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Collection } from "../../src/collection.js";
import { loadObjectSpec } from "../../src/object/index.js";
import { ProgramType } from "../../src/program/types.js";
import { RingBuffer } from "../../src/events/ring-buffer.js";
import { VmCollection, VmFaultError } from "../../src/vm/index.js";
import { compareObject, type RunInput } from "./object-differential.js";
import { PACKETS } from "./packet-corpus.js";

const OBJECT = fileURLToPath(new URL("../../../test/fixtures/vm/packets.bpf.o", import.meta.url));
const spec = (): ReturnType<typeof loadObjectSpec> => loadObjectSpec(OBJECT);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/** A kernel program's fd number, or the machine's stand-in for it. */
const fdOf = (p: { fd: unknown }): number => (typeof p.fd === "number" ? p.fd : (p.fd as { raw: number }).raw);

const PACKET_PROGRAMS = ["xdp_parse", "xdp_vlan", "tc_rewrite", "sock_udp", "tail_entry", "tail_static", "tail_a", "tail_b"];

function packetInputs(): RunInput[] {
  const inputs: RunInput[] = PACKETS.map((p) => ({ name: p.name, options: { data: p.bytes } }));
  // A frame with metadata in front (ctx.data = 8) and a tc context with fields set.
  const first = (PACKETS[0] as { bytes: Uint8Array }).bytes;
  const withMeta = new Uint8Array(8 + first.byteLength);
  withMeta.set([1, 2, 3, 4, 5, 6, 7, 8]);
  withMeta.set(first, 8);
  const xdpMd = new Uint8Array(24);
  new DataView(xdpMd.buffer).setUint32(0, 8, true);
  new DataView(xdpMd.buffer).setUint32(4, withMeta.byteLength, true);
  inputs.push({ name: "xdp-metadata", options: { data: withMeta, ctx: xdpMd } });
  // Metadata at and past the kernel's limit (the headroom minus struct xdp_frame: 216 bytes).
  for (const meta of [216, 220]) {
    const framed = new Uint8Array(meta + first.byteLength);
    framed.set(first, meta);
    const md = new Uint8Array(24);
    new DataView(md.buffer).setUint32(0, meta, true);
    new DataView(md.buffer).setUint32(4, framed.byteLength, true);
    inputs.push({ name: `xdp-metadata-${meta}`, options: { data: framed, ctx: md } });
  }
  // Repeated runs share one frame in the kernel: what a run changes, the next one sees.
  inputs.push({ name: "ipv4-udp-53 ×3", options: { data: first, repeat: 3 } });
  return inputs;
}

function skbInputs(): RunInput[] {
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  v.setUint32(8, 7, true); // mark
  v.setUint32(32, 3, true); // priority
  v.setUint32(48, 0xdead, true); // cb[0]
  return [
    ...PACKETS.map((p) => ({ name: p.name, options: { data: p.bytes } })),
    ...PACKETS.slice(0, 3).map((p) => ({ name: `${p.name}+ctx`, options: { data: p.bytes, ctx } })),
    { name: "ipv4-udp-53 ×3", options: { data: (PACKETS[0] as { bytes: Uint8Array }).bytes, repeat: 3 } },
  ];
}

test("every program of the fixture agrees with the kernel on every packet, in the interpreter and the JIT, and leaves the same maps", () => {
  const results = compareObject(spec, [...PACKET_PROGRAMS, "sum_squares"], (name, type) => {
    if (type === ProgramType.Syscall) {
      return [0, 1, 10, 1000, 5000].map((n) => {
        const args = new Uint8Array(24);
        new DataView(args.buffer).setBigUint64(0, BigInt(n), true);
        return { name: `n=${n}`, options: { ctx: args } };
      });
    }
    if (type === ProgramType.XDP) return name === "xdp_parse" || name === "xdp_vlan" ? packetInputs() : packetInputs().slice(0, 6);
    return skbInputs();
  }, {}, (side) => {
    // jump_table is filled at run time: slot 1 → tail_b, slot 3 → tail_a.
    const table = side.coll.map("jump_table");
    table.update(u32(1), u32(fdOf(side.coll.program("tail_b"))));
    table.update(u32(3), u32(fdOf(side.coll.program("tail_a"))));
  });
  const differences = results.flatMap((r) => r.differences);
  assert.deepEqual(differences, []);
  assert.ok(results.filter((r) => r.runs > 0).length >= 9, "every program ran");
});

test("ring buffer records written in the machine are the kernel's", () => {
  const syn = PACKETS.find((p) => p.name === "ipv4-tcp-syn")!.bytes;
  using kernel = Collection.load(spec());
  using ring = new RingBuffer(kernel.map("syns"));
  const vm = VmCollection.load(spec());
  for (let i = 0; i < 3; i++) {
    kernel.program("xdp_parse").testRun({ data: syn });
    vm.program("xdp_parse").testRun({ data: syn, engine: i === 1 ? "jit" : "interpreter" });
  }
  const expected = ring.readAvailable().map((r) => Buffer.from(r).toString("hex"));
  const got = vm.map("syns") as unknown as { drain(): { data: Uint8Array }[] };
  assert.equal(expected.length, 3);
  assert.deepEqual(got.drain().map((r) => Buffer.from(r.data).toString("hex")), expected);
  vm.close();
});

test(".rodata set before load configures the program in the machine", () => {
  const s = spec();
  s.variable("blocked_port").set(53);
  const vm = VmCollection.load(s);
  const dns = PACKETS.find((p) => p.name === "ipv4-udp-53")!.bytes;
  const blocked = PACKETS.find((p) => p.name === "ipv4-udp-blocked")!.bytes;
  assert.equal(vm.program("xdp_parse").testRun({ data: dns }).retval, 1 /* XDP_DROP */);
  assert.equal(vm.program("xdp_parse").testRun({ data: blocked }).retval, 2 /* XDP_PASS */);
  vm.close();
});

test("a store into .rodata faults: the machine maps it read-only to programs, as the verifier enforces", () => {
  const vm = VmCollection.load(spec());
  const rodata = [...vm.maps.keys()].find((k) => k.endsWith(".rodata"))!;
  const value = vm.map(rodata).programLookup(new Uint8Array(4));
  const region = vm.machine.memory.regionAt(value)!;
  assert.equal(region.writable, false);
  assert.throws(() => vm.machine.memory.write(value, new Uint8Array([1])), VmFaultError);
  vm.close();
});

test("a program run with no packet where it needs one is a typed error, and nothing stays mapped", () => {
  const vm = VmCollection.load(spec());
  assert.throws(() => vm.program("xdp_parse").testRun({ data: new Uint8Array(4) }), { code: "INVALID_ARGUMENT", message: /at least an Ethernet header/ });
  assert.throws(() => vm.program("sum_squares").testRun({ data: new Uint8Array(20) }), { code: "INVALID_ARGUMENT" });
  assert.equal(vm.machine.memory.regionAt(0x1000_0000n + 256n), undefined);
  vm.close();
});
