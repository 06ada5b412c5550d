import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { MAX_AGENT_RESULTS, MAX_DIAGNOSIS_EVIDENCE, MAX_STATUS_HISTORY, MAX_STATUS_PROBES } from "../../../src/api/index.js";
import { MAX_RESULTS } from "../../../src/agent/orders.js";
import { MAX_DIAL_JOBS } from "../../../src/dial/dial.js";

const schema = parse(readFileSync("api/networkhealth.schema.yaml", "utf8")) as Record<string, unknown>;
const status = ["spec", "versions", 0, "schema", "openAPIV3Schema", "properties", "status", "properties"];

function at(path: Array<string | number>): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown> | undefined)?.[step], schema);
}

describe("the schema's limits, generated into src/api", () => {
  it.each<[string, number, Array<string | number>]>([
    ["MAX_STATUS_PROBES", MAX_STATUS_PROBES, [...status, "probes", "maxItems"]],
    ["MAX_STATUS_HISTORY", MAX_STATUS_HISTORY, [...status, "history", "maxItems"]],
    ["MAX_DIAGNOSIS_EVIDENCE", MAX_DIAGNOSIS_EVIDENCE, ["definitions", "Diagnosis", "properties", "evidence", "maxItems"]],
    ["MAX_AGENT_RESULTS", MAX_AGENT_RESULTS, ["definitions", "AgentStatus", "properties", "results", "maxItems"]],
  ])("%s is the schema's value", (_name, value, path) => {
    expect(value).toBe(at(path));
  });

  it.each<[string, number, number]>([
    ["the agent's results", MAX_RESULTS, MAX_AGENT_RESULTS],
    ["the dial jobs per run", MAX_DIAL_JOBS, MAX_STATUS_PROBES],
  ])("%s are capped by the schema's limit", (_name, used, limit) => {
    expect(used).toBe(limit);
  });
});
