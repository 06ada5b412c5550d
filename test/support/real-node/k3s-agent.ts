/**
 * The k3s agent of a real node, as far as the kubelet sees it: k3s runs its kubelet against a local
 * client load balancer on 127.0.0.1:6444 that forwards to the `server:` of
 * /etc/rancher/k3s/config.yaml, read at every (re)start of the k3s-agent unit. The stand-in is that
 * load balancer (socat), started by the lab's fake systemctl for unit `k3s-agent`; a restart ends
 * the previous one with all its connections, as a k3s restart does. The kubelet itself is real.
 */
import type { Lab } from "../lab/index.js";
import { LAB_STATE_DIR } from "../lab/systemctl.js";

/** Where the kubelet of a k3s node connects: the agent's client load balancer. */
export const K3S_AGENT_LB = "https://127.0.0.1:6444";

const PID_FILE = `${LAB_STATE_DIR}/k3s-agent-lb.pid`;

// Fixed program: the k3s-agent unit's start/restart hook (runs inside the worker).
const K3S_AGENT_LB_HOOK = String.raw`
const fs = require("fs"), cp = require("child_process");
try { process.kill(-Number(fs.readFileSync("${PID_FILE}", "utf8")), "SIGKILL"); } catch {}
const server = new URL(/^server:\s*(\S+)\s*$/m.exec(fs.readFileSync("/etc/rancher/k3s/config.yaml", "utf8"))[1]);
const child = cp.spawn("socat", ["TCP-LISTEN:6444,bind=127.0.0.1,fork,reuseaddr", "TCP:" + server.hostname + ":" + (server.port || "443")], { detached: true, stdio: "ignore" });
fs.writeFileSync("${PID_FILE}", String(child.pid));
child.unref();
`;

/** Registers unit `k3s-agent` with the load-balancer hook and starts it once. */
export async function startK3sAgentLoadBalancer(lab: Lab): Promise<void> {
  const hook = [process.execPath, "-e", K3S_AGENT_LB_HOOK];
  await lab.setSystemctlUnit("k3s-agent", { active: true, hooks: { start: hook, restart: hook } });
  const started = await lab.execIn("worker", hook);
  if (started.code !== 0) throw new Error(`k3s-agent load balancer did not start: ${started.stderr}`);
}

/** Restarts unit k3s-agent through the lab's systemctl, as an operator (or netmedic's agent) would. */
export async function restartK3sAgent(lab: Lab): Promise<void> {
  const r = await lab.execIn("worker", ["systemctl", "restart", "k3s-agent"]);
  if (r.code !== 0) throw new Error(`systemctl restart k3s-agent: ${r.stderr}`);
}
