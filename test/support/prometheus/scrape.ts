/**
 * The controller's /metrics text read as Prometheus reads it, and the check that the promtool rule
 * tests feed the rules series of that shape: a renamed metric or label breaks them there.
 */
import { ACTION_ORDER, CONDITION_REASONS } from "../../../src/api/index.js";
import { parseSeries, type SeriesShape } from "./rule-tests.js";

/** Labels the scrape adds to every series (the controller never exports them). */
const TARGET_LABELS = new Set(["job", "instance"]);

/** Per metric name: its declared type, and the label-name sets of its samples ("a,b" sorted). */
export type Exposition = Map<string, { type: string; labelSets: Set<string> }>;

const labelSet = (labels: Record<string, string>) => Object.keys(labels).filter((l) => !TARGET_LABELS.has(l)).sort().join(",");

/** Parses the text exposition format's `# TYPE` lines and samples. */
export function parseExposition(text: string): Exposition {
  const metrics: Exposition = new Map();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) metrics.set(type[1] ?? "", { type: type[2] ?? "", labelSets: new Set() });
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseSeries(line.slice(0, line.lastIndexOf(" ")));
    metrics.get(sample.name)?.labelSets.add(labelSet(sample.labels));
  }
  return metrics;
}

/** Label values the API contract allows, so a test series cannot invent a reason. */
function valueProblems(series: SeriesShape): string[] {
  const { type, reason, status, action } = series.labels;
  const problems: string[] = [];
  if (type !== undefined) {
    const reasons = (CONDITION_REASONS as Record<string, readonly string[]>)[type];
    if (!reasons) problems.push(`unknown condition type ${type}`);
    else if (reason !== undefined && !reasons.includes(reason)) problems.push(`${type} has no reason ${reason}`);
  }
  if (status !== undefined && !["True", "False", "Unknown"].includes(status)) problems.push(`status ${status}`);
  if (action !== undefined && !(ACTION_ORDER as readonly string[]).includes(action)) problems.push(`unknown action ${action}`);
  return problems;
}

/** What the comparison found: mismatches, and metrics whose labels the scrape could not show. */
export interface SeriesCheck {
  problems: string[];
  /** Metrics exposed without any sample in this scrape: only their name and type were checked. */
  namesOnly: string[];
}

/** Checks `inputs` against a scrape: the name exists, the label names match a sample's, the values are the contract's. */
export function checkSeries(inputs: SeriesShape[], scrape: Exposition): SeriesCheck {
  const problems = new Set<string>();
  const namesOnly = new Set<string>();
  for (const series of inputs) {
    const exposed = scrape.get(series.name);
    if (!exposed) {
      problems.add(`${series.name} is not exposed by the controller`);
      continue;
    }
    for (const problem of valueProblems(series)) problems.add(`${series.name}: ${problem}`);
    if (exposed.labelSets.size === 0) namesOnly.add(series.name);
    else if (!exposed.labelSets.has(labelSet(series.labels))) {
      problems.add(`${series.name}{${labelSet(series.labels)}} but the controller exposes {${[...exposed.labelSets].join("} or {")}}`);
    }
  }
  return { problems: [...problems], namesOnly: [...namesOnly].sort() };
}
