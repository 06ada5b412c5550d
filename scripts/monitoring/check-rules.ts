/**
 * `npm run check:rules [PROMETHEUS_RULE]`: extracts the rules from deploy/monitoring/prometheusrule.yaml
 * (or the PrometheusRule given, which is how a test shows a broken rule failing) into a
 * scratch rule file, then `promtool check rules` on it and `promtool test rules` on every alert's
 * unit tests (test/monitoring/rules/*.yaml, whose `rule_files` name that extracted file). Exits
 * non-zero on the first failure with promtool's own output. test/monitoring/rules.test.ts runs it
 * under `npm test`.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROMETHEUS_RULE, REPO_ROOT, loadRuleGroups, writeRuleFile } from "./rules.js";

/** The file name the unit tests' `rule_files` refer to. */
const RULE_FILE_NAME = "netmedic.rules.yaml";
const TESTS_DIR = join(REPO_ROOT, "test/monitoring/rules");

function promtool(args: string[]): boolean {
  const result = spawnSync("promtool", args, { stdio: "inherit" });
  if (result.error) throw new Error(`promtool: ${result.error.message} (install it: npm run monitoring:install)`);
  return result.status === 0;
}

function main(): number {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-rules-"));
  try {
    const rules = join(dir, RULE_FILE_NAME);
    writeRuleFile(rules, loadRuleGroups(process.argv[2] ?? PROMETHEUS_RULE));
    if (!promtool(["check", "rules", rules])) return 1;
    const tests = readdirSync(TESTS_DIR).filter((name) => name.endsWith(".yaml")).sort();
    if (tests.length === 0) throw new Error(`no rule unit tests in ${TESTS_DIR}`);
    for (const name of tests) copyFileSync(join(TESTS_DIR, name), join(dir, name));
    return promtool(["test", "rules", ...tests.map((name) => join(dir, name))]) ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
