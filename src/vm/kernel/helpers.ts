// The kernel helpers of the machine: one table of closures over a VmKernel,
// assembled from the groups in this directory. Pass it to Machine (or
// VmCollection) as `helpers`; every helper answers as the kernel's does,
// with negative errnos in r0 for what the kernel reports there, and a typed
// fault for what its verifier would have refused.
import type { VmHelperTable } from "../helpers.js";
import { checksumHelpers } from "./checksum-helpers.js";
import { controlHelpers } from "./control-helpers.js";
import { eventHelpers } from "./event-helpers.js";
import { iterationHelpers } from "./iteration-helpers.js";
import { mapHelpers } from "./map-helpers.js";
import { memoryHelpers } from "./memory-helpers.js";
import { skbHelpers } from "./skb-helpers.js";
import type { VmKernel } from "./state.js";
import { taskHelpers } from "./task-helpers.js";
import { traceHelpers } from "./trace-helpers.js";
import { xdpHelpers } from "./xdp-helpers.js";

/** Every kernel helper the machine implements, reading and changing `kernel`. */
export function kernelHelpers(kernel: VmKernel): VmHelperTable {
  return {
    ...mapHelpers(kernel),
    ...eventHelpers(kernel),
    ...iterationHelpers(kernel),
    ...taskHelpers(kernel),
    ...traceHelpers(kernel),
    ...memoryHelpers(kernel),
    ...controlHelpers(kernel),
    ...xdpHelpers(kernel),
    ...skbHelpers(kernel),
    ...checksumHelpers(kernel),
  };
}
