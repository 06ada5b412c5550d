/**
 * The order checkpoint as a file: which order is being applied, until when it must be confirmed,
 * and every change each of its actions made with the steps that undo it. Written by the agent
 * before the first change of an order and after every change; read back at start (and validated
 * field by field: the file outlives the process that wrote it and may be cut short or damaged).
 * Pure: no I/O here (checkpoint-store.ts does the disk).
 */
import type { ActionName } from "../../api/index.js";
import type { JournalEntry } from "../actions/journal.js";
import { validUndoStep } from "../actions/undo-steps.js";

/** The checkpoint format; a file with another version is refused, never guessed at. */
const CHECKPOINT_VERSION = 1;
/** Bounds: a real order makes a few dozen changes; anything bigger is not one of ours. */
export const MAX_CHECKPOINT_BYTES = 256 * 1024;
export const MAX_CHECKPOINT_CHANGES = 128;

/** One action's changes, in its journal's order. */
export interface CheckpointAction {
  action: ActionName;
  changes: JournalEntry[];
}

/** An armed, unconfirmed order. */
export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  orderId: string;
  /** When it was armed and when it reverts unless confirmed (RFC 3339). */
  armedAt: string;
  deadline: string;
  actions: CheckpointAction[];
}

/** The result of reading a checkpoint file's text. */
export type ParsedCheckpoint = { checkpoint: Checkpoint } | { error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const ACTION = /^[A-Z][A-Za-z]{1,60}$/;

function validTime(value: unknown, what: string): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw new Error(`${what} is not a time`);
  return value;
}

function validEntry(value: unknown): JournalEntry {
  if (!isObject(value) || typeof value.what !== "string" || value.what.length > 500) throw new Error("change without a description");
  if (value.undo === undefined) return { what: value.what };
  if (!Array.isArray(value.undo) || value.undo.length > 8) throw new Error(`change "${value.what.slice(0, 60)}": undo is not a short list`);
  return { what: value.what, undo: value.undo.map(validUndoStep) };
}

function validAction(value: unknown): CheckpointAction {
  if (!isObject(value) || typeof value.action !== "string" || !ACTION.test(value.action)) throw new Error("action without a valid name");
  if (!Array.isArray(value.changes)) throw new Error(`action ${value.action}: changes is not a list`);
  return { action: value.action as ActionName, changes: value.changes.map(validEntry) };
}

/** Validates a parsed value as a checkpoint; throws saying what is wrong. */
function validCheckpoint(value: unknown): Checkpoint {
  if (!isObject(value)) throw new Error("not a JSON object");
  if (value.version !== CHECKPOINT_VERSION) throw new Error(`unknown version ${JSON.stringify(value.version)}`);
  if (typeof value.orderId !== "string" || !ORDER_ID.test(value.orderId)) throw new Error("invalid orderId");
  if (!Array.isArray(value.actions)) throw new Error("actions is not a list");
  const actions = value.actions.map(validAction);
  if (countChanges(actions) > MAX_CHECKPOINT_CHANGES) throw new Error(`more than ${MAX_CHECKPOINT_CHANGES} changes`);
  return { version: CHECKPOINT_VERSION, orderId: value.orderId, armedAt: validTime(value.armedAt, "armedAt"), deadline: validTime(value.deadline, "deadline"), actions };
}

/** Parses a checkpoint file's text: the checkpoint, or why it cannot be used (never throws). */
export function parseCheckpoint(text: string): ParsedCheckpoint {
  if (text.length > MAX_CHECKPOINT_BYTES) return { error: `larger than ${MAX_CHECKPOINT_BYTES} bytes` };
  if (text.trim() === "") return { error: "empty (cut short before its first write completed)" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: "not JSON (cut short or damaged)" };
  }
  try {
    return { checkpoint: validCheckpoint(value) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * The file text of a checkpoint; throws when it exceeds the bounds or would not pass validCheckpoint
 * when read back (the change is then undone at once: nothing is written that a restart could not use).
 */
export function serializeCheckpoint(checkpoint: Checkpoint): string {
  if (countChanges(checkpoint.actions) > MAX_CHECKPOINT_CHANGES) throw new Error(`checkpoint would hold more than ${MAX_CHECKPOINT_CHANGES} changes`);
  validCheckpoint(checkpoint);
  const text = `${JSON.stringify(checkpoint)}\n`;
  if (Buffer.byteLength(text) > MAX_CHECKPOINT_BYTES) throw new Error(`checkpoint would exceed ${MAX_CHECKPOINT_BYTES} bytes`);
  return text;
}

/** How many changes a checkpoint's actions hold. */
export function countChanges(actions: readonly CheckpointAction[]): number {
  return actions.reduce((n, a) => n + a.changes.length, 0);
}

/** The checkpoint with one action's changes replaced (added when new), keeping the order of actions. */
export function withActionChanges(checkpoint: Checkpoint, action: ActionName, changes: readonly JournalEntry[]): Checkpoint {
  const known = checkpoint.actions.some((a) => a.action === action);
  const actions = known ? checkpoint.actions.map((a) => (a.action === action ? { action, changes: [...changes] } : a)) : [...checkpoint.actions, { action, changes: [...changes] }];
  return { ...checkpoint, actions };
}
