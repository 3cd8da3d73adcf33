// Shared set-up of the kernel helper tests: a machine whose helpers close
// over a VmKernel, maps created in it and registered so helpers find them,
// programs whose `ldMapFd(R, i)` means the i-th map given, and a runner that
// does every check once per engine.
import { test } from "node:test";
import { PseudoLd, type ProgramBuilder, R10, type Register } from "../../src/asm/index.js";
import type { MapSpec } from "../../src/map.js";
import { createVmMap, kernelHelpers, Machine, VmKernel, VmMapRegistry, VmPacket, VmProgram, type Engine, type PacketKind, type Region, type VmKernelOptions, type VmMap, type VmMapHost } from "../../src/vm/index.js";

/** The engine the current test runs on (set by {@link both}). */
export let engine: Engine = "interpreter";

/** Registers `fn` as one test per engine. */
export function both(name: string, fn: () => void): void {
  for (const e of ["interpreter", "jit"] as const) {
    test(`${name} [${e}]`, () => {
      engine = e;
      fn();
    });
  }
}

/** A machine with the kernel helpers, and the maps its programs use. */
export class VmWorld {
  readonly kernel: VmKernel;
  readonly machine: Machine;
  readonly maps = new VmMapRegistry();
  readonly host: VmMapHost;
  private readonly byFd: VmMap[] = [];

  constructor(options: VmKernelOptions = {}) {
    this.kernel = new VmKernel(options);
    this.kernel.maps = this.maps;
    this.machine = new Machine({ helpers: kernelHelpers(this.kernel) });
    const kernel = this.kernel;
    this.host = { memory: this.machine.memory, cpus: kernel.cpus, currentCpu: () => kernel.cpu };
  }

  /** Creates a map; programs load it with `ldMapFd(R, fd)` where fd is the returned index. */
  map(spec: MapSpec): { map: VmMap; fd: number } {
    const map = this.maps.add(createVmMap(spec, this.host));
    this.byFd.push(map);
    return { map, fd: this.byFd.length - 1 };
  }

  /** The program `b` built, its map references resolved. */
  program(b: ProgramBuilder): VmProgram {
    return new VmProgram(b.instructions(), {
      resolveLdImm64: (src, imm, offset) => {
        const map = this.byFd[imm];
        if (map === undefined) throw new Error(`no map ${imm}`);
        if (src === PseudoLd.MAP_FD) return map.handle.base;
        // MAP_VALUE: an array's first value (global data, constant strings).
        if (src === PseudoLd.MAP_VALUE) return map.programLookup(new Uint8Array(4)) + BigInt(offset);
        throw new Error(`ld_imm64 source ${src} is not handled here`);
      },
    });
  }

  /** Runs what `b` built (with exit appended by the caller) on the current engine; r0. */
  run(b: ProgramBuilder, args: readonly (bigint | number)[] = []): bigint {
    return this.machine.run(this.program(b), { engine, args }).r0;
  }
}

/** Stores `bytes` on the stack at r10 + offset (4 bytes per store; `bytes` padded with zeros to a multiple of 4). */
export function storeBytes(b: ProgramBuilder, offset: number, bytes: Uint8Array, base: Register = R10): ProgramBuilder {
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  for (let i = 0; i < padded.byteLength; i += 4) b.stW(base, offset + i, view.getInt32(i, true));
  return b;
}

/** A NUL-terminated C string. */
export function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

/** r0 as a signed 64-bit number (helpers return negative errnos). */
export function signed(r0: bigint): number {
  return Number(BigInt.asIntN(64, r0));
}

/** BPF_PROG_TEST_RUN's XDP frame: 256 bytes of headroom, data up to 3520 bytes before the reserved tail. */
export const XDP_HEADROOM = 256;
const XDP_FRAME = XDP_HEADROOM + 3520;
/** An skb's frame in the machine: headroom and room to grow. */
const SKB_HEADROOM = 64;
const SKB_FRAME = SKB_HEADROOM + 1024;
/** The xdp_md fields the test's context publishes (data, data_end, data_meta). */
export const XDP_MD = { data: 0, dataEnd: 4, dataMeta: 8, size: 24 };

/**
 * A machine with an XDP or skb packet holding `data`, laid out as the
 * kernel's test runs lay it out, and a small context whose xdp_md fields
 * follow the packet's bounds (what the object runner does for real).
 */
export function packetWorld(kind: PacketKind, data: Uint8Array, options: VmKernelOptions = {}): { world: VmWorld; ctx: Region; packet: VmPacket; frame: Uint8Array } {
  const world = new VmWorld(options);
  const ctx = world.machine.memory.map("ctx", new Uint8Array(XDP_MD.size));
  const headroom = kind === "xdp" ? XDP_HEADROOM : SKB_HEADROOM;
  const frame = new Uint8Array(kind === "xdp" ? XDP_FRAME : SKB_FRAME);
  frame.set(data, headroom);
  const packet = new VmPacket(kind, world.machine.memory, frame, { meta: headroom, data: headroom, end: headroom + data.byteLength }, (p) => {
    ctx.view.setUint32(XDP_MD.data, p.address(p.data), true);
    ctx.view.setUint32(XDP_MD.dataEnd, p.address(p.end), true);
    ctx.view.setUint32(XDP_MD.dataMeta, p.address(p.meta), true);
  });
  world.kernel.packet = packet;
  return { world, ctx, packet, frame };
}
