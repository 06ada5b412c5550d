// Bound ServiceAccount tokens rotate: the agent's client re-reads its token file every minute and
// after a 401, and never puts the token in an error. Against a local HTTP stand-in for the wire
// details (the real-apiserver proof is test/lab/agent-api-client.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileToken, StaticToken, type BearerToken } from "../../../src/k8s/light/bearer-token.js";
import { ApiRequestError, RestClient } from "../../../src/k8s/light/rest-client.js";
import { classifyError } from "../../../src/controller/runtime/api-errors.js";

describe("FileToken", () => {
  it.each([
    ["cached before the max age", 59_999, ["a", "b"], "a", 1],
    ["re-read at the max age", 60_000, ["a", "b"], "b", 2],
    ["a failed periodic re-read keeps the cached token", 60_000, ["a", new Error("EBUSY")], "a", 2],
  ])("%s", (_name, elapsed, contents, expected, reads) => {
    let now = 0;
    let calls = 0;
    const readFile = (): string => {
      const next = contents[Math.min(calls++, contents.length - 1)];
      if (next instanceof Error) throw next;
      return `${next}\n`;
    };
    const token = new FileToken("/sa/token", { readFile, now: () => now });
    now = elapsed;
    expect(token.current()).toBe(expected);
    expect(calls).toBe(reads);
  });

  it("refresh() says whether the token changed; unreadable or empty files are one line without content", () => {
    let content = "a";
    const token = new FileToken("/sa/token", { readFile: () => content });
    expect(token.refresh()).toBe(false);
    content = "b";
    expect(token.refresh()).toBe(true);
    content = " \n";
    expect(() => token.refresh()).toThrow("token file /sa/token is empty");
    expect(() => new FileToken("/nonexistent/token")).toThrow("cannot read token file /nonexistent/token: ENOENT");
  });
});

describe("RestClient", () => {
  const dir = mkdtempSync(join(tmpdir(), "netmedic-token-"));
  const tokenPath = join(dir, "token");
  let server: Server;
  let base = "";
  const seen: string[] = [];
  const valid = "new-token";

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? "");
      if (req.url === "/hang") return;
      const ok = req.headers.authorization === `Bearer ${valid}`;
      const status = ok ? (req.url === "/forbidden" ? 403 : 200) : 401;
      const body = status === 200 ? { kind: "NetworkHealth" } : { kind: "Status", code: status, reason: "X", message: status === 403 ? "networkhealths is forbidden" : "Unauthorized" };
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const client = (token: BearerToken = new FileToken(tokenPath), timeoutMs = 5000) => new RestClient({ server: base, tls: { rejectUnauthorized: true }, token, describe: "test" }, { timeoutMs });

  it("a 401 re-reads the rotated token file and repeats the request once", async () => {
    writeFileSync(tokenPath, "old-token");
    const rest = client();
    writeFileSync(tokenPath, "new-token");
    seen.length = 0;
    await expect(rest.request({ method: "GET", path: "/ok" })).resolves.toEqual({ kind: "NetworkHealth" });
    expect(seen).toEqual(["Bearer old-token", "Bearer new-token"]);
    rest.close();
  });

  it("a 401 with an unchanged token is not repeated, and the error carries code 401 but not the token", async () => {
    writeFileSync(tokenPath, "old-token");
    const rest = client();
    seen.length = 0;
    const error = (await rest.request({ method: "GET", path: "/ok" }).catch((e: unknown) => e)) as ApiRequestError;
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ code: 401, message: "HTTP 401: Unauthorized" });
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain("old-token");
    rest.close();
  });

  it("a 403 keeps the Status message and classifies as terminal, like client-node's ApiException", async () => {
    const rest = client(new StaticToken(valid));
    const error = await rest.request({ method: "GET", path: "/forbidden" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 403, message: "HTTP 403: networkhealths is forbidden", status: { reason: "X" } });
    expect(classifyError(error)).toBe("terminal");
    rest.close();
  });

  it("a request without an answer fails after the timeout (transient)", async () => {
    const rest = client(new StaticToken(valid), 200);
    const error = await rest.request({ method: "GET", path: "/hang" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ETIMEDOUT", message: "GET /hang: no answer within 200 ms" });
    expect(classifyError(error)).toBe("transient");
    rest.close();
  });
});
