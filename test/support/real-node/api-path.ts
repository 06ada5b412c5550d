/**
 * How real nodes reach the apiserver, which listens on this machine's loopback: each lab's control
 * host serves the API at API_ADDRESS:API_PORT (a socat there carries each connection over a UNIX
 * socket to a socat in this machine's namespace, which dials the apiserver). The address is the same
 * in every lab, like an API load balancer's, so `default/kubernetes` can list one endpoint for all
 * nodes (the Endpoints API refuses loopback addresses). Nothing is routed or listened on outside the
 * labs' namespaces but the UNIX socket.
 */
import { join } from "node:path";
import type { Lab } from "../lab/index.js";
import { mustRun, nsenterArgv } from "../lab/run.js";
import { startProcess, stopProcess, type ManagedProcess } from "../control-plane/processes.js";

/** The API address every node uses (on each control host's loopback; routed there by the worker's default route). */
export const API_ADDRESS = "10.212.255.1";
/** The API port on the control hosts (the apiserver's usual 6443). */
export const API_PORT = 6443;

/** The socat chain from the labs to the apiserver. */
export interface ApiPath {
  /** Serves API_ADDRESS:API_PORT on a lab's control host. */
  serveIn(lab: Lab): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the machine-side end: a UNIX socket in `dir` forwarding to the apiserver's loopback port. */
export function startApiPath(socat: string, dir: string, apiserverPort: number): ApiPath {
  const socket = join(dir, "api.sock");
  const processes: ManagedProcess[] = [
    startProcess("api-path", [socat, `UNIX-LISTEN:${socket},fork,mode=600`, `TCP:127.0.0.1:${apiserverPort}`], join(dir, "api-path.log")),
  ];
  return {
    async serveIn(lab) {
      await mustRun(nsenterArgv(lab.controlPid, ["net"], ["ip", "addr", "add", `${API_ADDRESS}/32`, "dev", "lo"]));
      const listen = `TCP-LISTEN:${API_PORT},bind=${API_ADDRESS},fork,reuseaddr`;
      // nsenter --net only: the control host shares this machine's files, so the socket is reachable.
      processes.push(startProcess(`api-path-${lab.index}`, nsenterArgv(lab.controlPid, ["net"], [socat, listen, `UNIX-CONNECT:${socket}`]),
        join(dir, `api-path-${lab.index}.log`)));
    },
    async stop() {
      await Promise.all(processes.map((p) => stopProcess(p, 1000)));
    },
  };
}
