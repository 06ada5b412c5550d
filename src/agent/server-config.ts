/**
 * Reading and rewriting a k3s/RKE2 agent's server setting, line by line. The files also hold the
 * join token (`token:` / `K3S_TOKEN=`), a secret: facts are read through a host-side `grep` of the
 * server lines only (see api-server-facts.ts), so the token never reaches the agent; a rewrite
 * changes only the server line(s) and returns every other byte unchanged. No function here puts
 * file content into an error message.
 */

/** Top-level `server:` in config.yaml: optional quotes, optional trailing comment. */
// A plain scalar must not start with a YAML indicator (| > [ { & * ! % @ `): those are block
// scalars, flow collections, anchors or tags, shapes a line rewrite must not touch.
const CONFIG_SERVER = /^server(\s*:\s*)(?:"([^"]*)"|'([^']*)'|([^\s#"'|>[\]{}&*!%@`][^\s#"']*))(\s*(?:#.*)?)$/;
const CONFIG_SERVER_KEY = /^server\s*:/;

function envLine(key: string): RegExp {
  return new RegExp(`^(\\s*(?:export\\s+)?${key}=)(?:'([^']*)'|"([^"]*)"|([^\\s'"#]*))(\\s*(?:#.*)?)$`);
}

function splitLines(content: string): { lines: string[]; eol: string } {
  const eol = content.includes("\r\n") ? "\r\n" : "\n";
  return { lines: content.split(eol), eol };
}

/** Server URLs from config.yaml lines (the whole file or the grep of its `server:` lines). */
export function configServers(lines: string): string[] {
  return lines.split(/\r?\n/).flatMap((line) => {
    const match = CONFIG_SERVER.exec(line);
    const value = match?.[2] ?? match?.[3] ?? match?.[4];
    return value ? [value] : [];
  });
}

/** `KEY=` URLs from env-file lines (K3S_URL / RKE2_URL; quoted or not; `export` allowed). */
export function envServers(lines: string, key: string): string[] {
  const pattern = envLine(key);
  return lines.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    const value = match?.[2] ?? match?.[3] ?? match?.[4];
    return value ? [value] : [];
  });
}

/** Result of a rewrite: the new content and how many server lines changed. */
export interface Rewrite {
  content: string;
  replaced: number;
}

/**
 * Replaces the value of every top-level `server:` line with `url` (already validated), keeping
 * its quoting and trailing comment; all other lines, comments and line endings stay as they were.
 * Throws when a `server:` line has a shape it does not understand (nothing is guessed).
 */
export function rewriteConfigServer(content: string, url: string): Rewrite {
  const { lines, eol } = splitLines(content);
  let replaced = 0;
  const out = lines.map((line) => {
    if (!CONFIG_SERVER_KEY.test(line)) return line;
    const match = CONFIG_SERVER.exec(line);
    if (!match) throw new Error("config.yaml has a server: line of an unsupported shape");
    replaced += 1;
    const quote = match[2] !== undefined ? '"' : match[3] !== undefined ? "'" : "";
    return `server${match[1]}${quote}${url}${quote}${match[5] ?? ""}`;
  });
  return { content: out.join(eol), replaced };
}

/** Replaces the value of every `KEY=` line (keeping quotes and comments); other lines untouched. */
export function rewriteEnvServer(content: string, key: string, url: string): Rewrite {
  const { lines, eol } = splitLines(content);
  const pattern = envLine(key);
  const keyOnly = new RegExp(`^\\s*(?:export\\s+)?${key}=`);
  let replaced = 0;
  const out = lines.map((line) => {
    if (!keyOnly.test(line)) return line;
    const match = pattern.exec(line);
    if (!match) throw new Error(`env file has a ${key}= line of an unsupported shape`);
    replaced += 1;
    const quote = match[2] !== undefined ? "'" : match[3] !== undefined ? '"' : "";
    return `${match[1]}${quote}${url}${quote}${match[5] ?? ""}`;
  });
  return { content: out.join(eol), replaced };
}

/** The agent load balancer's state file: its configured URL and the servers it rotates through. */
export interface LoadBalancerState {
  serverURL?: string;
  servers: string[];
}

/** Parses the load-balancer state JSON; throws a content-free Error when it is malformed. */
export function parseLoadBalancerState(text: string): LoadBalancerState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("load-balancer state is not JSON");
  }
  const doc = value as { ServerURL?: unknown; ServerAddresses?: unknown } | null;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("load-balancer state is not an object");
  const addresses = Array.isArray(doc.ServerAddresses) ? doc.ServerAddresses : [];
  const servers = addresses.filter((a): a is string => typeof a === "string" && /^[A-Za-z0-9.:[\]-]{1,100}$/.test(a));
  const serverURL = typeof doc.ServerURL === "string" && /^https:\/\/[A-Za-z0-9.:[\]-]{1,100}$/.test(doc.ServerURL) ? doc.ServerURL : undefined;
  return { ...(serverURL ? { serverURL } : {}), servers };
}
