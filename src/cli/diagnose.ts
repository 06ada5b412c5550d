/**
 * `netmedic diagnose`: one-shot diagnosis of a snapshot file or a live cluster. Never writes.
 *   netmedic diagnose --snapshot FILE [-o text|json|yaml]
 *   netmedic diagnose [--kubeconfig PATH] [-o text|json|yaml]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { buildObservation, DEFAULT_POLICY } from "../core/index.js";
import { loadKubeConfig } from "../k8s/kubeconfig.js";
import { readCluster } from "../k8s/cluster-reader.js";
import { invalidFlag, UsageError } from "../core/flags.js";
import { parseSnapshot } from "./snapshot.js";
import { buildReport, renderText, type DiagnoseReport } from "./report.js";

/** Output formats of diagnose. */
export type OutputFormat = "text" | "json" | "yaml";

/** Renders a report in the given format. */
export function formatReport(report: DiagnoseReport, format: OutputFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (format === "yaml") return stringify(report);
  return renderText(report);
}

function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? "text";
  if (format !== "text" && format !== "json" && format !== "yaml") throw invalidFlag("output", format, "text, json or yaml");
  return format;
}

/** Diagnoses one snapshot file into a report. */
export function diagnoseSnapshotFile(path: string): DiagnoseReport {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read snapshot ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return buildReport(buildObservation(parseSnapshot(text, path, new Date().toISOString())), DEFAULT_POLICY);
}

/** Runs the diagnose command; returns the exit code. Output goes to `write`. */
export async function runDiagnose(argv: string[], write: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { snapshot: { type: "string" }, kubeconfig: { type: "string" }, output: { type: "string", short: "o" } },
    strict: true, allowPositionals: false,
  });
  const format = outputFormat(values.output);
  const report = values.snapshot
    ? diagnoseSnapshotFile(values.snapshot)
    : buildReport(buildObservation(await readCluster(loadKubeConfig(values.kubeconfig), new Date().toISOString())), DEFAULT_POLICY);
  write(formatReport(report, format));
  return 0;
}
