// `tsbpf net …`: bpftool's network verbs, acting in the caller's network
// namespace. `attach` makes attachments that outlive the command without
// pinning anything, as bpftool does: XDP through netlink (IFLA_XDP), tcx with
// BPF_PROG_ATTACH (no link); `detach` removes them.
import { didYouMean } from "./suggest.js";
import { Args, UsageError, matchKeyword } from "./args.js";
import type { Context, ObjectCommands } from "./command.js";
import { openOneRef, parseRef, withFds } from "./refs.js";
import { progShowInfo } from "./kernel-info.js";
import { collectNetShow, netShowJson, netShowPlain } from "./net-show.js";
import { NetlinkSocket } from "../sys/netlink/socket.js";
import { setXdpFd } from "../sys/netlink/interfaces.js";
import { progAttach, progDetach } from "../sys/attach.js";
import { XdpFlags } from "../sys/attach-flags.js";
import { BpfError, InvalidArgumentError } from "../sys/errors.js";
import { AttachType, ProgramType, programTypeName } from "../program/types.js";
import { describeDevice, resolveDevice, type NetDevice } from "../link/net-device.js";

const ATTACH_TYPES = ["xdp", "xdpgeneric", "xdpdrv", "xdpoffload", "tcx_ingress", "tcx_egress"] as const;
type NetAttachType = (typeof ATTACH_TYPES)[number];

const GRAMMAR = `PROG        := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload | tcx_ingress | tcx_egress }
OPTIONS     := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }

Everything acts in the caller's network namespace (run it under
'ip netns exec NS' for another one). 'attach' pins nothing: XDP programs are
attached through netlink and tcx programs with BPF_PROG_ATTACH, so they stay
until 'detach' (or until the device goes away); 'overwrite' replaces an XDP
program already there. tcx_* attach appends to the device's tcx list.
'show' lists XDP, tcx, netkit and tc (cls_bpf) attachments per device, the
flow dissector and the netfilter links.`;

const xdpModes: Partial<Record<NetAttachType, number>> = {
  xdpgeneric: XdpFlags.SKB_MODE, xdpdrv: XdpFlags.DRV_MODE, xdpoffload: XdpFlags.HW_MODE,
};

function parseAttachType(args: Args): NetAttachType {
  const word = args.next("ATTACH_TYPE");
  const type = matchKeyword(word, ATTACH_TYPES);
  if (!type) throw new UsageError(`invalid net attach/detach type: ${word} (expected one of: ${ATTACH_TYPES.join(", ")})`, args.topic);
  return type;
}

function parseDev(args: Args, socket: NetlinkSocket): NetDevice {
  const word = args.next("'dev IFNAME'");
  if (!"dev".startsWith(word)) throw new UsageError(`expected 'dev', got: '${word}'${didYouMean(word, ["dev"])}`, args.topic);
  return resolveDevice(args.next("interface name"), socket);
}

function show(args: Args, ctx: Context): void {
  using socket = new NetlinkSocket();
  let ifindex: number | undefined;
  if (args.remaining) {
    ifindex = parseDev(args, socket).ifindex;
    args.end();
  }
  const result = collectNetShow(socket, ifindex);
  if (ctx.out.json) ctx.out.jsonValue(netShowJson(result));
  else ctx.out.text(netShowPlain(result));
}

/** Names the interface and the attach type in the error of a failed attach or detach (class and code unchanged). */
function failed(e: unknown, verb: string, type: NetAttachType, device: NetDevice): never {
  if (e instanceof BpfError) e.message = `${describeDevice(device)}: ${type} ${verb} failed: ${e.message}`;
  throw e;
}

function attach(args: Args, ctx: Context): void {
  const type = parseAttachType(args);
  const ref = parseRef(args, "prog");
  using socket = new NetlinkSocket();
  const device = parseDev(args, socket);
  let overwrite = false;
  if (args.remaining) {
    const w = args.next("'overwrite'");
    if (!"overwrite".startsWith(w)) throw new UsageError(`expected 'overwrite', got: '${w}'${didYouMean(w, ["overwrite"])}`, args.topic);
    overwrite = true;
  }
  args.end();
  withFds([openOneRef("prog", ref)], ([fd]) => {
    const info = progShowInfo(fd!);
    const tcx = type.startsWith("tcx");
    const wanted = tcx ? ProgramType.SchedCls : ProgramType.XDP;
    if (info.type !== wanted) {
      throw new InvalidArgumentError(
        `${describeDevice(device)}: ${type} attach failed: program '${info.name}' (id ${info.id}) is a ${programTypeName(info.type)} program, not ${programTypeName(wanted)}`,
        "PROG",
      );
    }
    try {
      if (tcx) {
        progAttach({ targetIfindex: device.ifindex, progFd: fd!, attachType: type === "tcx_ingress" ? AttachType.TCXIngress : AttachType.TCXEgress });
      } else {
        setXdpFd(socket, device.ifindex, fd!.raw, { flags: (xdpModes[type] ?? 0) | (overwrite ? 0 : XdpFlags.UPDATE_IF_NOEXIST) });
      }
    } catch (e) {
      failed(e, "attach", type, device);
    }
  });
  if (ctx.out.json) ctx.out.jsonValue(null);
}

function detach(args: Args, ctx: Context): void {
  const type = parseAttachType(args);
  using socket = new NetlinkSocket();
  const device = parseDev(args, socket);
  args.end();
  try {
    if (type.startsWith("tcx")) {
      progDetach({ targetIfindex: device.ifindex, attachType: type === "tcx_ingress" ? AttachType.TCXIngress : AttachType.TCXEgress });
    } else {
      setXdpFd(socket, device.ifindex, -1, { flags: (xdpModes[type] ?? 0) | XdpFlags.UPDATE_IF_NOEXIST });
    }
  } catch (e) {
    failed(e, "detach", type, device);
  }
  if (ctx.out.json) ctx.out.jsonValue(null);
}

/** The `net` object of the CLI. */
export const netCommands: ObjectCommands = {
  name: "net",
  summary: "show, attach and detach XDP, tcx and tc programs on network devices",
  grammar: GRAMMAR,
  commands: [
    { name: "show", synopsis: "{ show | list } [dev IFNAME]", examples: ["tsbpf net show", "tsbpf -j net show dev veth0"], run: show },
    { name: "list", synopsis: "{ show | list } [dev IFNAME]", examples: ["tsbpf -p net list"], run: show },
    {
      name: "attach", synopsis: "attach ATTACH_TYPE PROG dev IFNAME [ overwrite ]",
      examples: ["tsbpf net attach xdpgeneric pinned /sys/fs/bpf/xdp_prog dev veth0", "tsbpf net attach tcx_ingress pinned /sys/fs/bpf/tc_prog dev veth0"], run: attach,
    },
    { name: "detach", synopsis: "detach ATTACH_TYPE dev IFNAME", examples: ["tsbpf net detach xdpgeneric dev veth0"], run: detach },
  ],
};
