/**
 * The diagnose report: what `netmedic diagnose` prints, built from the core's per-node reconcile
 * (so the "planned fix" is exactly what the controller would order under the same policy).
 */
import type { Observation, RemediationPolicy } from "../core/index.js";
import { describeAction, diagnose, reconcileNode } from "../core/index.js";

/** One node's part of the report. */
export interface NodeReport {
  node: string;
  ready: string;
  rootCause: string;
  summary: string;
  evidence: string[];
  affects: string[];
  checks: Array<{ type: string; status: string; reason: string; message: string }>;
  plan: { mode: string; phase: string; actions: string[]; proposed: string[]; message: string };
}

/** The whole report. */
export interface DiagnoseReport {
  capturedAt: string;
  nodes: NodeReport[];
  apiServices: Array<{ name: string; failure: string; message: string; nodes: string[] }>;
}

/**
 * Diagnoses every node once and plans its remediation under `policy` from that diagnosis, without
 * writing anything.
 */
export function buildReport(observation: Observation, policy: RemediationPolicy): DiagnoseReport {
  const diagnosis = diagnose(observation, policy.staleAfterSeconds);
  const nodes = diagnosis.nodes.map((node): NodeReport => {
    const { status } = reconcileNode({ observation, node: node.node, policy, diagnosis: node });
    const remediation = status.remediation ?? {};
    const checks = Object.values(node.checks).map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message }));
    return {
      node: node.node,
      ready: `${node.ready.status} (${node.ready.reason})`,
      rootCause: node.rootCause,
      summary: node.summary,
      evidence: node.evidence,
      affects: node.affects,
      checks,
      plan: {
        mode: remediation.mode ?? policy.mode,
        phase: remediation.phase ?? "Idle",
        actions: (remediation.actions ?? []).map(describeAction),
        proposed: (remediation.proposed ?? []).map(describeAction),
        message: remediation.message ?? "",
      },
    };
  });
  return { capturedAt: observation.now, nodes, apiServices: diagnosis.apiServices };
}

/** Renders the report for a person: each node, its root cause, evidence and the planned fix. */
export function renderText(report: DiagnoseReport): string {
  const lines: string[] = [];
  for (const node of report.nodes) {
    if (node.rootCause === "" && node.ready.startsWith("True")) {
      lines.push(`✔ ${node.node}: healthy`);
      continue;
    }
    lines.push(`✘ ${node.node}: ${node.rootCause ? `root cause ${node.rootCause}` : `Ready=${node.ready}`}`);
    lines.push(`    ${node.summary}`);
    for (const evidence of node.evidence) lines.push(`    · ${evidence}`);
    lines.push(...renderPlan(node));
  }
  const unexplained = report.apiServices.filter((service) => service.nodes.length === 0);
  for (const service of unexplained) lines.push(`! apiservice/${service.name} unavailable (${service.failure}): ${service.message} — not attributed to a node`);
  return `${lines.join("\n")}\n`;
}

function renderPlan(node: NodeReport): string[] {
  const plan = node.plan;
  if (plan.actions.length > 0) return [`    → planned fix (${plan.mode}):`, ...plan.actions.map((a, i) => `        ${i + 1}. ${a}`)];
  if (plan.proposed.length > 0) return [`    → would fix (${plan.mode}, not applied):`, ...plan.proposed.map((a, i) => `        ${i + 1}. ${a}`)];
  return [`    → no fix planned: ${plan.message}`];
}
