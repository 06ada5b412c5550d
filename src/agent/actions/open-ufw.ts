/**
 * OpenUfw: let pod traffic through an active ufw with ufw's own commands, so ufw keeps owning its
 * rules and persists them in its own file (/etc/ufw/user.rules) — `ufw route allow from|to <CIDR>`
 * and `ufw allow from <CIDR>` for the pod CIDR (and the service CIDR when the order names it), and
 * `ufw allow proto <p> from 0.0.0.0/0 to any port <n>` for the distribution's node ports. Only the
 * allowances that do not hold are added (the core's `missingAllowances`, the same judgement the
 * HostFirewall check makes), each journaled with its `ufw … delete`, then verified by reading ufw's
 * state and files again. ufw absent or inactive is a clear Failed: netmedic never enables,
 * disables, resets or reloads it, and never edits its files by hand.
 */
import { MAX_PLANNED_PORTS, type PlannedAction } from "../../api/index.js";
import { allowanceText, missingAllowances, type UfwAllowance, type UfwNeeds } from "../../core/ufw-rules.js";
import type { HostExecutor } from "../host-executor.js";
import { readUfw, UFW_FILES } from "../ufw-facts.js";
import { InvalidParameterError, validIPv4CIDR, validPortProtocol } from "../validate.js";
import { ActionFailure, verify, type ActionBody } from "./action.js";

/** The order's parameters, validated: the pod CIDR from the order or the fresh facts. */
function needsOf(action: PlannedAction, podCIDR: string | undefined): UfwNeeds {
  const cidr = action.podCIDR ?? podCIDR;
  if (!cidr) throw new ActionFailure("no pod CIDR to allow (none in the order, none detected)");
  const ports = action.ports ?? [];
  if (ports.length > MAX_PLANNED_PORTS) throw new InvalidParameterError(`invalid ports: more than ${MAX_PLANNED_PORTS}`);
  return {
    podCIDR: validIPv4CIDR(cidr),
    ...(action.serviceCIDR ? { serviceCIDR: validIPv4CIDR(action.serviceCIDR) } : {}),
    ports: ports.map(validPortProtocol),
  };
}

/** Runs `ufw <args>`; throws with ufw's own last words when it fails. */
async function ufw(host: HostExecutor, args: readonly string[]): Promise<string> {
  const result = await host.run(["ufw", ...args], { timeoutMs: 30_000 });
  if (result.code !== 0) {
    const said = `${result.stderr}\n${result.stdout}`.split("\n").map((l) => l.trim()).filter(Boolean).at(0) ?? `exit ${result.code}`;
    throw new ActionFailure(`ufw ${args.join(" ")}: ${result.timedOut ? "timed out" : said}`);
  }
  return result.stdout;
}

/** ufw's state and rules now, or a clear failure when ufw cannot be changed safely. */
async function activeUfw(host: HostExecutor) {
  const { facts, errors } = await readUfw(host);
  if (facts.state === "notInstalled") throw new ActionFailure("ufw is not installed: nothing to open");
  if (facts.state !== "active") throw new ActionFailure(`ufw is ${facts.state}: netmedic never enables, disables or reloads it${errors.length ? ` (${errors.join("; ")})` : ""}`);
  return { facts, errors };
}

/** The OpenUfw action body. */
export const openUfw: ActionBody = async (action, context, journal) => {
  const { host } = context;
  const needs = needsOf(action, context.snapshot.facts.podNetwork?.cidr);
  const before = await activeUfw(host);
  const missing = missingAllowances(before.facts, needs);
  if (!missing) throw new ActionFailure(`cannot read ufw's rules or default policies: ${before.errors.join("; ") || "unknown"}`);
  if (missing.length === 0) return { result: "Skipped", detail: `ufw already allows pod traffic (${needs.podCIDR}${needs.ports.length ? `, ${needs.ports.join(", ")}` : ""})` };
  const added: UfwAllowance[] = [];
  for (const allowance of missing) {
    const said = await ufw(host, allowance.add);
    if (/Skipping/i.test(said)) continue; // ufw found it already there: nothing changed, nothing to undo
    journal.record(allowanceText(allowance), { kind: "command", argv: ["ufw", ...allowance.remove], timeoutMs: 30_000 });
    added.push(allowance);
  }
  const after = await activeUfw(host);
  const left = missingAllowances(after.facts, needs);
  verify(left !== undefined && left.length === 0, `still missing in ${UFW_FILES.userRules}: ${(left ?? missing).map(allowanceText).join(", ")}`);
  return { result: "Succeeded", detail: `${added.map(allowanceText).join(", ")}; persisted by ufw in ${UFW_FILES.userRules}` };
};
