// An in-memory firewalld behind a HostExecutor-shaped `run`, answering the firewall-cmd argv subset
// OpenHostFirewall uses the way firewalld 1.3 does in the lab (exit codes, warnings on stderr,
// runtime --change-* warning ZONE_ALREADY_SET, --reload rebuilding the runtime from the permanent
// config). It records every call, so tests can count processes and tell reads from changes.
import type { HostCommandResult, HostExecutor } from "../../../src/agent/host-executor.js";

/** One zone's bindings. */
export interface FakeZone { interfaces: string[]; sources: string[]; services: string[]; masquerade: boolean }
/** One scope: its zones and its service definitions (name → ports). */
export interface FakeScope { zones: Record<string, FakeZone>; services: Record<string, string[]> }

const ZONES = ["block", "dmz", "drop", "external", "home", "internal", "public", "trusted", "work"];
const zone = (services: string[] = []): FakeZone => ({ interfaces: [], sources: [], services, masquerade: false });
/** firewalld's default configuration (as in the lab). */
export const defaultScope = (): FakeScope => ({
  zones: Object.fromEntries(ZONES.map((z) => [z, zone(["public", "work", "home", "internal"].includes(z) ? ["ssh"] : [])])),
  services: { ssh: ["22/tcp"], http: ["80/tcp"] },
});

/** A finished firewall-cmd. */
export const ok = (stdout = "", stderr = "", code = 0): HostCommandResult => ({ code, stdout, stderr, timedOut: false });
/** A failed firewall-cmd, as firewalld words it. */
export const err = (code: number, text: string): HostCommandResult => ok("", `Error: ${text}\n`, code);
const READS = /^--(state|get-default-zone|list-all-zones|info-service=)/;

/** The fake; `override` answers a call (without running it) when it returns a result, e.g. an error. */
export class FakeFirewalld {
  scopes: { runtime: FakeScope; permanent: FakeScope } = { runtime: defaultScope(), permanent: defaultScope() };
  calls: string[] = [];
  running = true;
  override?: (call: string) => HostCommandResult | undefined;
  private pace?: (call: () => HostCommandResult) => Promise<HostCommandResult>;

  /** The fake as the action's host executor. */
  get host(): HostExecutor {
    return { run: async (argv: readonly string[]) => (this.pace ? this.pace(() => this.run(argv)) : this.run(argv)) } as unknown as HostExecutor;
  }

  /**
   * From now on, every call answers one event-loop turn after it started, and this counts the waves
   * of calls: a call's wave is one more than the latest wave that had answered when it started, so
   * calls that overlap share a wave (all calls taking the same time). Returns the reader of the count.
   */
  countWaves(): () => number {
    let answered = 0;
    let deepest = 0;
    this.pace = async (call) => {
      const wave = answered + 1;
      deepest = Math.max(deepest, wave);
      const result = call();
      await new Promise((resolve) => setImmediate(resolve));
      answered = Math.max(answered, wave);
      return result;
    };
    return () => deepest;
  }

  /** The calls that are not reads (changes, reloads). */
  get changes(): string[] {
    return this.calls.filter((c) => !READS.test(c.replace(/^--permanent /, "").replace(/^--zone=\S+ /, "")));
  }

  run(argv: readonly string[]): HostCommandResult {
    const args = argv.slice(1);
    this.calls.push(args.join(" "));
    if (args[0] === "--state") return this.running ? ok("running\n") : ok("", "not running\n", 252);
    if (!this.running) return ok("", "FirewallD is not running\n", 252);
    const injected = this.override?.(args.join(" "));
    if (injected) return injected;
    const permanent = args[0] === "--permanent";
    const rest = permanent ? args.slice(1) : args;
    return this.apply(permanent ? this.scopes.permanent : this.scopes.runtime, permanent, rest);
  }

  private apply(scope: FakeScope, permanent: boolean, args: string[]): HostCommandResult {
    const [first = "", ...more] = args;
    const [flag, value = ""] = first.split(/=(.*)/s);
    if (flag === "--get-default-zone") return ok("public\n");
    if (flag === "--list-all-zones") return ok(Object.entries(scope.zones).map(([n, z]) => render(n, z)).join("\n"));
    if (flag === "--info-service") return scope.services[value] ? ok(`${value}\n  ports: ${scope.services[value].join(" ")}\n`) : err(101, `INVALID_SERVICE: ${value}`);
    if (flag === "--reload") return (this.scopes.runtime = structuredClone(this.scopes.permanent)), ok("success\n");
    if (flag === "--new-service") return (scope.services[value] = []), ok("success\n");
    if (flag === "--delete-service") return scope.services[value] ? (delete scope.services[value], ok("success\n")) : err(101, `INVALID_SERVICE: ${value}`);
    if (flag === "--service") return (scope.services[value]?.push(...more.map((m) => m.split("=")[1] ?? "")), ok("success\n"));
    if (flag === "--zone" && scope.zones[value]) return this.zoneOp(scope, value, permanent, more[0] ?? "");
    return err(112, `INVALID_ZONE: ${value}`);
  }

  private zoneOp(scope: FakeScope, name: string, permanent: boolean, op: string): HostCommandResult {
    const z = scope.zones[name] as FakeZone;
    const [, verb, kind, value = ""] = /^--(change|add|remove)-(interface|source|masquerade|service)=?(.*)$/.exec(op) ?? [];
    if (kind === "masquerade") {
      if (z.masquerade === (verb === "add")) return ok("success\n", `Warning: ${verb === "add" ? "ALREADY_ENABLED" : "NOT_ENABLED"}: masquerade\n`);
      return (z.masquerade = verb === "add"), ok("success\n");
    }
    if (kind === "service") return serviceOp(scope, z, verb ?? "", value);
    const key = kind === "interface" ? "interfaces" : "sources";
    const owner = Object.entries(scope.zones).find(([, other]) => other[key].includes(value))?.[0];
    if (verb === "remove") {
      if (owner !== name) return owner ? err(18, `ZONE_CONFLICT: ${value}`) : err(kind === "interface" ? 19 : 30, `UNKNOWN_${kind?.toUpperCase()}: ${value}`);
      return (z[key] = z[key].filter((v) => v !== value)), ok("success\n");
    }
    // Runtime --change-* warns when already bound; the permanent path in firewall-cmd just says success.
    if (owner === name) return ok("success\n", permanent ? "" : `Warning: ZONE_ALREADY_SET: ${value}\n`);
    if (owner) scope.zones[owner]![key] = scope.zones[owner]![key].filter((v) => v !== value);
    return z[key].push(value), ok("success\n");
  }
}

function serviceOp(scope: FakeScope, z: FakeZone, verb: string, service: string): HostCommandResult {
  if (!scope.services[service]) return err(101, `INVALID_SERVICE: ${service}`);
  const has = z.services.includes(service);
  if (has === (verb === "add")) return ok("success\n", `Warning: ${has ? "ALREADY_ENABLED" : "NOT_ENABLED"}: ${service}\n`);
  z.services = verb === "add" ? [...z.services, service] : z.services.filter((s) => s !== service);
  return ok("success\n");
}

/** A zone block as `--list-all-zones` prints it. */
function render(name: string, z: FakeZone): string {
  const active = z.interfaces.length || z.sources.length ? " (active)" : "";
  const target = name === "trusted" ? "ACCEPT" : name === "block" ? "%%REJECT%%" : name === "drop" ? "DROP" : "default";
  return `${name}${active}\n  target: ${target}\n  interfaces: ${z.interfaces.join(" ")}\n  sources: ${z.sources.join(" ")}\n` +
    `  services: ${[...z.services].sort().join(" ")}\n  masquerade: ${z.masquerade ? "yes" : "no"}\n  rich rules: \n`;
}
