/**
 * kube-state-metrics' CustomResourceStateMetrics configuration as its Go types define it
 * (pkg/customresourcestate: Metrics, MetricsSpec, Resource, Labels, Generator, Metric, MetricGauge,
 * MetricStateSet, MetricInfo and their yaml tags), as a checker. KSM decodes the file without
 * rejecting unknown keys, so a misspelt key would silently do nothing: here it is an error.
 */

type Shape = "string" | "int" | "bool" | "path" | "pathMap" | "stringMap" | { object: Fields } | { list: Fields };
interface Fields { [key: string]: Shape }

/** `labelsFromPath: {label: [path…]}` and `commonLabels: {label: value}` (Labels, inlined). */
const LABELS: Fields = { commonLabels: "stringMap", labelsFromPath: "pathMap" };
const META: Fields = { labelsFromPath: "pathMap", path: "path" };
const GAUGE: Fields = { ...META, labelFromKey: "string", valueFrom: "path", valueType: "string", nilIsZero: "bool" };
const STATE_SET: Fields = { ...META, list: "path", labelName: "string", valueFrom: "path" };
const INFO: Fields = { ...META, labelFromKey: "string" };
const METRIC: Fields = { type: "string", gauge: { object: GAUGE }, stateSet: { object: STATE_SET }, info: { object: INFO } };
const GENERATOR: Fields = { ...LABELS, name: "string", help: "string", each: { object: METRIC }, errorLogV: "int" };
const GVK: Fields = { group: "string", version: "string", kind: "string" };
const RESOURCE: Fields = {
  ...LABELS, metricNamePrefix: "string", groupVersionKind: { object: GVK }, resourcePlural: "string",
  metrics: { list: GENERATOR }, errorLogV: "int",
};
/** `kind` is not a field of Metrics: the documented examples carry it and the decoder ignores it. */
const CONFIG: Fields = { kind: "string", spec: { object: { resources: { list: RESOURCE } } } };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStrings = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === "string");

function checkScalar(shape: Shape, value: unknown): boolean {
  switch (shape) {
    case "string": return typeof value === "string";
    case "int": return Number.isInteger(value);
    case "bool": return typeof value === "boolean";
    case "path": return isStrings(value);
    case "pathMap": return isRecord(value) && Object.values(value).every(isStrings);
    case "stringMap": return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
    default: return false;
  }
}

function checkFields(fields: Fields, value: unknown, at: string, problems: string[]): void {
  if (!isRecord(value)) {
    problems.push(`${at}: expected an object`);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    const shape = fields[key];
    const where = at ? `${at}.${key}` : key;
    if (!shape) problems.push(`${where}: not a field of KSM's configuration`);
    else if (typeof shape === "string") {
      if (!checkScalar(shape, child)) problems.push(`${where}: expected ${shape}`);
    } else if ("object" in shape) checkFields(shape.object, child, where, problems);
    else if (!Array.isArray(child)) problems.push(`${where}: expected a list`);
    else child.forEach((item, i) => checkFields(shape.list, item, `${where}[${i}]`, problems));
  }
}

/** The union rule of Metric: `type` names exactly the one of gauge, stateSet, info that is set. */
function checkMetricTypes(config: Record<string, unknown>, problems: string[]): void {
  const resources = (config["spec"] as { resources?: Array<{ metrics?: Array<{ name?: string; each?: Record<string, unknown> }> }> } | undefined)?.resources ?? [];
  for (const metric of resources.flatMap((r) => r.metrics ?? [])) {
    const each = metric.each ?? {};
    const type = String(each["type"] ?? "").toLowerCase();
    const set = ["gauge", "stateSet", "info"].filter((k) => each[k] !== undefined);
    if (!["gauge", "stateset", "info"].includes(type)) problems.push(`${metric.name}: type ${String(each["type"])} is not Gauge, StateSet or Info`);
    else if (set.length !== 1 || set[0]?.toLowerCase() !== type) problems.push(`${metric.name}: type ${type} but sets ${set.join(", ") || "nothing"}`);
    const valueType = (each["gauge"] as { valueType?: string } | undefined)?.valueType;
    if (valueType !== undefined && !["", "duration", "quantity"].includes(valueType)) problems.push(`${metric.name}: valueType ${valueType}`);
  }
}

/** Everything in `config` that KSM's types do not define or define otherwise; empty when it conforms. */
export function checkKsmConfig(config: unknown): string[] {
  const problems: string[] = [];
  checkFields(CONFIG, config, "", problems);
  if (isRecord(config)) checkMetricTypes(config, problems);
  return problems;
}
