// The netlink layer of `tsbpf/sys`: an rtnetlink socket over the native
// shim's syscall(), message building and parsing, network interfaces (and
// IFLA_XDP), and classic tc (clsact, cls_bpf filters).
export {
  MessageBuilder, NetlinkParseError, parseMessages, parseAttributes, attributeList, attrU8, attrU32, attrString, attrNested,
  type NetlinkMessage, type Attributes,
} from "./message.js";
export { NetlinkSocket, NetlinkProtocol, NlmFlags, netlinkError, checkInterfaceName } from "./socket.js";
export {
  interfaceByName, interfaceByIndex, listInterfaces, setXdpFd, XdpAttached, type NetInterface, type XdpState, type SetXdpOptions,
} from "./interfaces.js";
export {
  addClsact, deleteClsact, addBpfFilter, deleteFilter, listFilters, listQdiscs, listClasses, TcHandle,
  type TcObject, type TcBpfFilter, type TcFilterId, type AddBpfFilterOptions,
} from "./tc.js";
