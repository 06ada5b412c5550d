// The asymmetric path of the rp_filter lab: a pod sending from an address its node routes out of
// the uplink, and an nftables counter in the control host's own namespace that shows whether the
// packet got there. Traffic stays between namespaces the lab created (docs/architecture.md §8.5).
import type { Lab } from "../support/lab/index.js";

const TABLE = "netmedic_rplab";

// Fixed program: one TCP connect from a given source address, given up after 800 ms (only the SYN matters).
const SYN = `
const net = require("net");
const [host, port, localAddress] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port), localAddress });
const done = () => { socket.destroy(); process.exit(0); };
socket.on("connect", done).on("error", done);
setTimeout(done, 800);
`;

async function inControl(lab: Lab, ...argv: string[]): Promise<string> {
  const result = await lab.execIn("control", argv);
  if (result.code !== 0) throw new Error(`${argv.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Packets from `source` that reached the control host (its input hook), counted by an nftables rule made on first use. */
export async function countArrivals(lab: Lab, source: string): Promise<number> {
  const listed = await lab.execIn("control", ["nft", "list", "table", "ip", TABLE]);
  if (listed.code !== 0) {
    await inControl(lab, "nft", "add", "table", "ip", TABLE);
    await inControl(lab, "nft", "add", "chain", "ip", TABLE, "input", "{ type filter hook input priority 0; }");
    await inControl(lab, "nft", "add", "rule", "ip", TABLE, "input", "ip", "saddr", source, "tcp", "dport", "8132", "counter");
    return 0;
  }
  return Number(/counter packets (\d+)/.exec(listed.stdout)?.[1] ?? NaN);
}

/** One SYN from the pod's `source` to the control host's konnectivity port. */
export async function sendSynFrom(lab: Lab, source: string): Promise<void> {
  const result = await lab.execIn("pod", [process.execPath, "-e", SYN, "--", lab.addresses.control, "8132", source]);
  if (result.code !== 0) throw new Error(`SYN from ${source}: ${result.stderr.trim()}`);
}
