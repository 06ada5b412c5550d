/**
 * The controller's pino logger: JSON lines, constant messages, details in fields. Redaction is a
 * second line of defence — nothing should ever log a token or a request's headers.
 */
import { pino, type Logger } from "pino";

/** A logger at `level` writing to stdout (or `destination`, e.g. a test sink). */
export function createControllerLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { component: "netmedic-controller" },
    redact: { paths: ["*.token", "*.password", "*.authorization", "*.headers", "headers"], censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
