/**
 * The anchors of a Markdown document's `##` sections, as GitHub and most renderers derive them
 * (lower case, punctuation dropped, spaces to hyphens), so a runbook_url's fragment can be checked.
 */
import { readFileSync } from "node:fs";

/** The anchor a heading's text gets. */
export function headingAnchor(text: string): string {
  return text.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

/** The anchors of the `##` sections of the Markdown file at `path`. */
export function runbookAnchors(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((line) => line.startsWith("## ")).map((line) => headingAnchor(line.slice(3)));
}
