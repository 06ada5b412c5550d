// The k3s/RKE2 server setting: read, rewritten line by line (comments, token and every other byte
// intact), and the load balancer's state. The token must never come out of a reader.
import { describe, expect, it } from "@jest/globals";
import { configServers, envServers, parseLoadBalancerState, rewriteConfigServer, rewriteEnvServer } from "../../../src/agent/server-config.js";
import { serverTarget } from "../../../src/agent/probes.js";

const TOKEN = "K10f00dcafe0123456789::server:s3cr3t-passw0rd";
const NEW = "https://10.0.0.12:6443";

const CONFIG = [
  "# k3s agent configuration",
  "# Joined through this server at install time; k3s reads this file at every start.",
  "server: https://10.0.0.5:6443   # etcd-only, see ticket 42",
  `token: ${TOKEN}`,
  "node-label:",
  '  - "netmedic.io/lab=true"',
  "  server: not-top-level",
  "# server: https://commented-out:6443",
  "",
].join("\n");

describe("configServers / envServers (the readers)", () => {
  it.each([
    ["plain, with a comment", "server: https://10.0.0.5:6443 # etcd", ["https://10.0.0.5:6443"]],
    ["double-quoted", 'server: "https://10.0.0.5:6443"', ["https://10.0.0.5:6443"]],
    ["single-quoted", "server: 'https://[fd00::5]:6443'", ["https://[fd00::5]:6443"]],
    ["indented (not top level) and commented-out lines are ignored", "  server: https://x:1\n# server: https://y:1", []],
    ["the whole file yields only the server", CONFIG, ["https://10.0.0.5:6443"]],
  ])("config: %s", (_name, text, expected) => {
    expect(configServers(text)).toEqual(expected);
  });
  it.each([
    ["single-quoted (the installer's form)", `K3S_TOKEN='${TOKEN}'\nK3S_URL='https://10.0.0.5:6443'\n`, ["https://10.0.0.5:6443"]],
    ["double-quoted with export", 'export K3S_URL="https://10.0.0.5:6443"', ["https://10.0.0.5:6443"]],
    ["bare", "K3S_URL=https://10.0.0.5:6443", ["https://10.0.0.5:6443"]],
    ["only the token", `K3S_TOKEN=${TOKEN}`, []],
  ])("env: %s", (_name, text, expected) => {
    expect(envServers(text, "K3S_URL")).toEqual(expected);
  });
  it("never returns anything containing the token", () => {
    const everything = JSON.stringify([configServers(CONFIG), envServers(`K3S_TOKEN='${TOKEN}'\nK3S_URL=x`, "K3S_URL"), envServers(CONFIG, "K3S_URL")]);
    expect(everything).not.toContain("s3cr3t");
    expect(everything).not.toContain("K10f00d");
  });
});

describe("rewriteConfigServer", () => {
  it("changes only the server value, keeping the comment, the token and every other line", () => {
    const { content, replaced } = rewriteConfigServer(CONFIG, NEW);
    expect(replaced).toBe(1);
    const before = CONFIG.split("\n");
    const after = content.split("\n");
    expect(after).toHaveLength(before.length);
    expect(after[2]).toBe(`server: ${NEW}   # etcd-only, see ticket 42`);
    expect(after.filter((_l, i) => i !== 2)).toEqual(before.filter((_l, i) => i !== 2));
  });
  it.each([
    ["keeps double quotes", 'server: "https://10.0.0.5:6443"\n', `server: "${NEW}"\n`],
    ["keeps single quotes", "server: 'https://10.0.0.5:6443'\n", `server: '${NEW}'\n`],
    ["keeps spacing around the colon", "server :  https://10.0.0.5:6443\n", `server :  ${NEW}\n`],
    ["keeps CRLF line endings", "# c\r\nserver: https://10.0.0.5:6443\r\ntoken: t\r\n", `# c\r\nserver: ${NEW}\r\ntoken: t\r\n`],
    ["no server line: unchanged", "token: t\n", "token: t\n"],
  ])("%s", (_name, input, expected) => {
    expect(rewriteConfigServer(input, NEW).content).toBe(expected);
  });
  it("refuses a server line it does not understand (no guessing)", () => {
    expect(() => rewriteConfigServer("server: [https://a:1, https://b:1]\n", NEW)).toThrow(/unsupported shape/);
    expect(() => rewriteConfigServer(`server: |\n  https://a:1\ntoken: ${TOKEN}\n`, NEW)).toThrow(/unsupported shape/);
  });
  it("its errors never carry file content", () => {
    let message = "";
    try {
      rewriteConfigServer(`server: ${TOKEN} ${TOKEN}\n`, NEW);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unsupported shape/);
    expect(message).not.toContain("s3cr3t");
  });
});

describe("rewriteEnvServer", () => {
  it.each([
    ["installer form", `K3S_TOKEN='${TOKEN}'\nK3S_URL='https://10.0.0.5:6443'\n`, `K3S_TOKEN='${TOKEN}'\nK3S_URL='${NEW}'\n`],
    ["export and double quotes", 'export K3S_URL="https://10.0.0.5:6443" # pinned\n', `export K3S_URL="${NEW}" # pinned\n`],
    ["no URL line", `K3S_TOKEN='${TOKEN}'\n`, `K3S_TOKEN='${TOKEN}'\n`],
  ])("%s", (_name, input, expected) => {
    expect(rewriteEnvServer(input, "K3S_URL", NEW).content).toBe(expected);
  });
});

describe("parseLoadBalancerState", () => {
  it.each([
    ["k3s's shape", '{"ServerURL":"https://10.0.0.5:6443","ServerAddresses":["10.0.0.5:6443","10.0.0.6:6443"],"Listener":null}',
      { serverURL: "https://10.0.0.5:6443", servers: ["10.0.0.5:6443", "10.0.0.6:6443"] }],
    ["no addresses", '{"ServerURL":"https://10.0.0.5:6443"}', { serverURL: "https://10.0.0.5:6443", servers: [] }],
    ["odd entries are dropped", '{"ServerAddresses":["10.0.0.5:6443", 7, "a b; rm"]}', { servers: ["10.0.0.5:6443"] }],
  ])("%s", (_name, text, expected) => {
    expect(parseLoadBalancerState(text)).toEqual(expected);
  });
  it.each([["not JSON", "{"], ["an array", "[]"], ["null", "null"]])("%s → content-free error", (_name, text) => {
    expect(() => parseLoadBalancerState(text)).toThrow(/load-balancer state is not/);
  });
});

describe("serverTarget", () => {
  it.each([
    ["https://10.0.0.5:6443", "10.0.0.5:6443"],
    ["https://[fd00::5]:9345/", "[fd00::5]:9345"],
    ["https://user:pw@10.0.0.5:6443", undefined],
    ["http://10.0.0.5:6443", undefined],
    ["https://10.0.0.5", undefined],
  ])("%s → %s", (url, expected) => {
    expect(serverTarget(url)).toBe(expected);
  });
});
