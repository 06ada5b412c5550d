/**
 * Stand-ins for what the e2e tests cannot run for real: a konnectivity-agent (dials its server every
 * second from the lab's pod netns and logs in klog format, classifying the real errno), and a k3s
 * agent (a resident process on the lab worker that reads config.yaml's `server:` and asks it for
 * /version; the test posts the Node's heartbeat only while that server is a live apiserver).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Lab } from "../lab/index.js";
import { startHeartbeat, type Heartbeat, type NodeSpec } from "../control-plane/kubelet.js";
import { startProcess, type RunningProcess } from "./processes.js";

/**
 * Fixed program: konnectivity-agent's dial loop, klog lines on stdout. argv: `host port`, or the
 * real agent's flags (`--proxy-server-host=H --proxy-server-port=P …`) when it runs as a Pod.
 */
export const KONNECTIVITY_AGENT = String.raw`
const net = require("net");
const crypto = require("crypto");
const argv = process.argv.slice(1);
const flag = (name) => { const a = argv.find((x) => x.startsWith("--" + name + "=")); return a && a.slice(name.length + 3); };
const [host, port] = flag("proxy-server-host") ? [flag("proxy-server-host"), flag("proxy-server-port") || "8132"] : argv;
const pad = (n, w = 2) => String(n).padStart(w, "0");
const klog = (level, file, text) => {
  const d = new Date();
  const ts = pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "." + pad(d.getUTCMilliseconds() * 1000, 6);
  process.stdout.write(level + ts + "       1 " + file + "] " + text + "\n");
};
const TEXT = { EHOSTUNREACH: "connect: no route to host", ECONNREFUSED: "connect: connection refused", ENETUNREACH: "connect: network is unreachable", ETIMEDOUT: "connect: connection timed out", TIMEOUT: "i/o timeout" };
const fail = (code) => {
  const why = TEXT[code] || ("connect: " + code);
  klog("E", "clientset.go:204", '"cannot connect once" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp ' + host + ":" + port + ": " + why + '\\""');
  setTimeout(dial, 1000);
};
function dial() {
  const socket = net.connect({ host, port: Number(port) });
  let connected = false;
  const timer = setTimeout(() => { socket.destroy(); fail("TIMEOUT"); }, 5000);
  socket.once("connect", () => {
    connected = true;
    clearTimeout(timer);
    const id = crypto.randomUUID();
    klog("I", "client.go:210", '"Connect to server" serverID="' + id + '"');
    klog("I", "clientset.go:222", '"sync added client connecting to proxy server" serverID="' + id + '"');
    klog("I", "client.go:318", '"Start serving" serverID="' + id + '" agentID="konnectivity-agent"');
    socket.once("close", () => { klog("E", "client.go:443", '"could not read stream" err="EOF" serverID="' + id + '"'); setTimeout(dial, 1000); });
  });
  socket.on("error", (e) => { clearTimeout(timer); if (!connected) fail(e.code); });
}
dial();
`;

/** Starts the konnectivity-agent stand-in in the lab's pod netns, dialing `host:port`; its log is `${dir}/${name}.log`. */
export function startKonnectivityAgentStandIn(lab: Lab, dir: string, host: string, port = 8132, name = "konnectivity-agent"): RunningProcess {
  return startProcess(name, [process.execPath, "-e", KONNECTIVITY_AGENT, "--", host, String(port)], dir, (argv, o) => lab.spawnIn("pod", argv, o));
}

/** Where the k3s-agent stand-in keeps its state inside the lab worker (the lab's scratch /run). */
export const K3S_AGENT_STATE = "/run/netmedic-lab/k3s-agent-state.json";
const K3S_AGENT_PID = "/run/netmedic-lab/k3s-agent.pid";

// Fixed program: the resident k3s agent. Every second: config.yaml's server → GET /version → state file.
// It reads the token line too (it is in the same file) but never prints or stores it.
const K3S_AGENT_LOOP = String.raw`
const fs = require("fs"), https = require("https");
const state = (s) => fs.writeFileSync("${K3S_AGENT_STATE}", JSON.stringify({ time: new Date().toISOString(), ...s }));
function round() {
  let server;
  try { server = /^server:\s*(\S+)\s*$/m.exec(fs.readFileSync("/etc/rancher/k3s/config.yaml", "utf8"))[1]; } catch (e) { state({ ready: false, error: "no server in config.yaml" }); return setTimeout(round, 1000); }
  const req = https.get(server + "/version", { rejectUnauthorized: false, timeout: 2000, agent: false }, (res) => {
    let body = "";
    res.on("data", (c) => (body += c));
    res.on("end", () => {
      let live = false;
      try { live = res.statusCode === 200 && typeof JSON.parse(body).gitVersion === "string"; } catch {}
      state({ server, ready: live, reply: "HTTP " + res.statusCode + " " + body.trim().slice(0, 80) });
      setTimeout(round, 1000);
    });
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (e) => { state({ server, ready: false, error: e.code || e.message }); setTimeout(round, 1000); });
}
round();
`;

// Fixed program: k3s-agent's (re)start hook — ends the previous stand-in (by its PID file) and starts a new one.
const K3S_AGENT_RESTART = String.raw`
const fs = require("fs"), cp = require("child_process");
try { process.kill(Number(fs.readFileSync("${K3S_AGENT_PID}", "utf8")), "SIGKILL"); } catch {}
const child = cp.spawn(process.execPath, ["-e", process.argv[1]], { detached: true, stdio: "ignore" });
fs.writeFileSync("${K3S_AGENT_PID}", String(child.pid));
child.unref();
`;

/** The argv of the k3s-agent unit's start/restart hook (runs inside the lab worker). */
export function k3sAgentRestartHook(): string[] {
  return [process.execPath, "-e", K3S_AGENT_RESTART, "--", K3S_AGENT_LOOP];
}

/** What the k3s-agent stand-in last saw. */
export interface K3sAgentState {
  time: string;
  server?: string;
  ready: boolean;
  reply?: string;
  error?: string;
}

/** The k3s agent and the kubelet behind it: the Node heartbeats only while the configured server serves the API. */
export interface K3sAgentStandIn {
  state(): Promise<K3sAgentState | undefined>;
  /** How many times the Node's heartbeat was (re)started: 0 while pinned to an etcd-only server. */
  heartbeatStarts(): number;
  stop(): void;
}

/**
 * Registers unit `k3s-agent` in the lab's fake systemctl with the restart hook, starts the agent
 * once, and follows its state file: heartbeat `node` while it is fresh and ready, stop otherwise.
 */
export async function startK3sAgentStandIn(lab: Lab, kubeConfig: KubeConfig, node: NodeSpec): Promise<K3sAgentStandIn> {
  const hook = k3sAgentRestartHook();
  await lab.setSystemctlUnit("k3s-agent", { active: true, hooks: { start: hook, restart: hook } });
  const started = await lab.execIn("worker", hook);
  if (started.code !== 0) throw new Error(`k3s-agent stand-in did not start: ${started.stderr}`);
  let heartbeat: Heartbeat | undefined;
  let starts = 0;
  const state = async (): Promise<K3sAgentState | undefined> => {
    try {
      return JSON.parse(await lab.readFile(K3S_AGENT_STATE)) as K3sAgentState;
    } catch {
      return undefined;
    }
  };
  const follow = setInterval(() => void state().then((s) => {
    const live = s !== undefined && s.ready && Date.now() - Date.parse(s.time) < 5000;
    if (live && !heartbeat) {
      heartbeat = startHeartbeat(kubeConfig, node, 2000);
      starts += 1;
    } else if (!live && heartbeat) {
      heartbeat.stop();
      heartbeat = undefined;
    }
  }), 1000);
  return {
    state, heartbeatStarts: () => starts,
    stop: () => {
      clearInterval(follow);
      heartbeat?.stop();
    },
  };
}
