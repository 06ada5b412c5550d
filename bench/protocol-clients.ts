/**
 * The bench agents' clients: the agent's own light API and Lease clients on one connection pool per
 * agent (as the agent runs them), counting every request they send by verb.
 */
import type { NetworkHealthStatus } from "../src/api/index.js";
import type { WatchedStoreApi } from "../src/agent/watched-store.js";
import { AgentApiClient } from "../src/k8s/light/agent-api-client.js";
import { AgentLeaseClient } from "../src/k8s/light/agent-lease.js";
import type { RestCredentials } from "../src/k8s/light/rest-credentials.js";
import { RestClient } from "../src/k8s/light/rest-client.js";

/** Requests the agents sent, by verb (LEASE: any request of the Lease client). */
export type AgentRequests = Record<"GET" | "LIST" | "WATCH" | "APPLY" | "LEASE", number>;

/** An AgentApiClient that counts what it sends, and a Lease client on the same connections counting its requests as LEASE. */
export function countingClients(credentials: RestCredentials, counts: AgentRequests): { api: AgentApiClient & WatchedStoreApi; lease: AgentLeaseClient } {
  const rest = new RestClient(credentials, { userAgent: "netmedic-agent-bench" });
  const leaseRest = Object.assign(Object.create(rest) as RestClient, { request: (...args: Parameters<RestClient["request"]>) => (counts.LEASE += 1, rest.request(...args)) });
  return { api: countingClient(rest, counts), lease: new AgentLeaseClient(leaseRest) };
}

function countingClient(rest: RestClient, counts: AgentRequests): AgentApiClient & WatchedStoreApi {
  const client = new AgentApiClient(rest);
  return Object.assign(Object.create(client) as AgentApiClient, {
    get: (name: string) => (counts.GET += 1, client.get(name)),
    listOne: (name: string) => (counts.LIST += 1, client.listOne(name)),
    watchOne: (...args: Parameters<AgentApiClient["watchOne"]>) => (counts.WATCH += 1, client.watchOne(...args)),
    applyStatus: (name: string, status: NetworkHealthStatus) => (counts.APPLY += 1, client.applyStatus(name, status)),
  });
}
