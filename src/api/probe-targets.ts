/**
 * What a node's agent probes. The controller chooses the targets (from the konnectivity-agent pod
 * args, the default/kubernetes Endpoints and its own probe pods, so the agent needs no read access
 * to Pods or Endpoints) and hands them over in the NetworkHealth's annotation
 * `netmedic.io/probe-targets`, set with the object's creation: the agent can then send a complete
 * first report before the controller ever writes a status (one status write per new node, not two).
 */
export interface ProbeTargets {
  /** konnectivity server addresses (host:port) the node's konnectivity-agent dials. */
  konnectivity?: string[];
  /** Live apiserver addresses (host:port) from the default/kubernetes Endpoints. */
  apiServers?: string[];
  /** podIP:port of the netmedic probe pod on this node, which the agent asks for pod-network probes. */
  probeEndpoint?: string;
}
