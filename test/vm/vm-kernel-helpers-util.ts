// Shared set-up of the kernel helper tests: a machine whose helpers close
// over a VmKernel, maps created in it and registered so helpers find them,
// programs whose `ldMapFd(R, i)` means the i-th map given, and a runner that
// does every check once per engine.
import { test } from "node:test";
import { PseudoLd, type ProgramBuilder, R10, type Register } from "../../src/asm/index.js";
import type { MapSpec } from "../../src/map.js";
import { createVmMap, kernelHelpers, Machine, VmKernel, VmMapRegistry, VmProgram, type Engine, type VmKernelOptions, type VmMap, type VmMapHost } from "../../src/vm/index.js";

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
      resolveLdImm64: (src, imm) => {
        const map = this.byFd[imm];
        if (src !== PseudoLd.MAP_FD || map === undefined) throw new Error(`no map ${imm}`);
        return map.handle.base;
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
