/**
 * Bearer tokens for the agent's API client. A token from a file is re-read periodically and on
 * demand (after a 401), because bound ServiceAccount tokens rotate: the kubelet rewrites the
 * projected file about every hour and the old token expires. client-go does the same (it caches a
 * token file for one minute); a token read once would lock the agent out after ~1 h.
 */
import { readFileSync } from "node:fs";

/** Where the client gets the token for the next request. */
export interface BearerToken {
  /** The token to send now (re-read from its file when the cached copy is older than the max age). */
  current(): string;
  /** Re-reads the token's source now; true when the token changed (a 401 is then worth one retry). */
  refresh(): boolean;
}

/** A token given inline (kubeconfig `token`): it never changes. */
export class StaticToken implements BearerToken {
  constructor(private readonly token: string) {}

  current(): string {
    return this.token;
  }

  refresh(): boolean {
    return false;
  }
}

/** How often a token file is re-read without a 401 (client-go: one minute). */
const TOKEN_FILE_MAX_AGE_MS = 60_000;

/** Test seams of FileToken. */
export interface FileTokenDeps {
  readFile?: (path: string) => string;
  now?: () => number;
  maxAgeMs?: number;
}

/**
 * A token kept in a file (in-cluster service account, kubeconfig `tokenFile`). Throws a one-line
 * error naming the file (never its content) when it cannot be read or is empty.
 */
export class FileToken implements BearerToken {
  private token = "";
  private readAt = Number.NEGATIVE_INFINITY;
  private readonly readFile: (path: string) => string;
  private readonly now: () => number;
  private readonly maxAgeMs: number;

  constructor(readonly path: string, deps: FileTokenDeps = {}) {
    this.readFile = deps.readFile ?? ((file) => readFileSync(file, "utf8"));
    this.now = deps.now ?? Date.now;
    this.maxAgeMs = deps.maxAgeMs ?? TOKEN_FILE_MAX_AGE_MS;
    this.refresh();
  }

  current(): string {
    if (this.now() - this.readAt < this.maxAgeMs) return this.token;
    try {
      this.refresh();
    } catch {
      // A rotation in progress or a transient read error: the cached token is most likely still
      // valid; a 401 will force the next read.
    }
    return this.token;
  }

  refresh(): boolean {
    let text: string;
    try {
      text = this.readFile(this.path);
    } catch (error) {
      throw new Error(`cannot read token file ${this.path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`, { cause: error });
    }
    const token = text.trim();
    if (!token) throw new Error(`token file ${this.path} is empty`);
    const changed = token !== this.token;
    this.token = token;
    this.readAt = this.now();
    return changed;
  }
}
