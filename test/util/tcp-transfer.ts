// A real TCP transfer over loopback inside a network namespace the helper
// creates (and deletes), with the client socket on a chosen congestion
// control: traffic that runs a struct_ops tcp_congestion_ops.
import { spawnSync } from "node:child_process";

/** Runs a loopback TCP transfer of `bytes` inside a fresh netns with the client on congestion control `cc`; returns the cc the socket reported. */
export function tcpTransfer(cc: string, bytes: number): string {
  const ns = `tsbpf-so-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const script = `
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
got = []
def serve():
    c, _ = srv.accept(); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    got.append(n); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.socket()
cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"${cc}")
cl.connect(srv.getsockname())
used = cl.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\\0")[0].decode()
chunk = b"x" * 16384
for _ in range(${bytes} // 16384): cl.sendall(chunk)
cl.close(); t.join()
assert got == [${bytes}], got
print(used)
`;
  const run = (args: string[], input?: string): string => {
    const r = spawnSync(args[0]!, args.slice(1), { input, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr || r.error}`);
    return r.stdout;
  };
  run(["ip", "netns", "add", ns]);
  try {
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return run(["ip", "netns", "exec", ns, "python3", "-"], script).trim();
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
}
