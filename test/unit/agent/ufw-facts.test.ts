// The agent's readers of ufw, on the output and files ufw 0.36 (Debian bookworm) produces —
// recorded on this image: `ufw status verbose` active and inactive, nsenter without a ufw program,
// /etc/default/ufw and user.rules tuples — and the validators of OpenUfw's parameters.
import { describe, expect, it } from "@jest/globals";
import { parseUfwStatus, parseUserRules, shellSetting } from "../../../src/agent/ufw-facts.js";
import { InvalidParameterError, validIPv4CIDR, validPortProtocol } from "../../../src/agent/validate.js";

const ACTIVE = "Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), deny (routed)\nNew profiles: skip\n";

describe("parseUfwStatus", () => {
  it.each([
    ["active, verbose", 0, ACTIVE, "", { state: "active", defaults: "deny (incoming), allow (outgoing), deny (routed)" }],
    ["inactive", 0, "Status: inactive\n", "", { state: "inactive" }],
    ["no ufw program (nsenter)", 127, "", "nsenter: failed to execute ufw: No such file or directory\n", { state: "notInstalled" }],
    ["ufw failing on a broken file", 1, "", "ERROR: 'rules' file '/etc/ufw/user.rules' does not exist\n", undefined],
    ["unexpected output", 0, "Statut: actif\n", "", undefined],
  ])("%s", (_name, code, stdout, stderr, expected) => {
    expect(parseUfwStatus(code, stdout, stderr)).toEqual(expected);
  });
});

describe("shellSetting", () => {
  const defaults = '# /etc/default/ufw\nIPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_FORWARD_POLICY="DROP"\n#DEFAULT_FORWARD_POLICY="ACCEPT"\nMANAGE_BUILTINS=no\n';
  it.each([
    ["DEFAULT_INPUT_POLICY", defaults, "DROP"], ["DEFAULT_FORWARD_POLICY", defaults, "DROP"], ["IPV6", defaults, "yes"],
    ["ENABLED", "# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n", "yes"], ["ENABLED", "ENABLED=no\nENABLED='yes'\n", "yes"], ["MISSING", defaults, undefined],
  ])("%s", (key, text, expected) => {
    expect(shellSetting(text, key)).toBe(expected);
  });
});

describe("parseUserRules", () => {
  it("keeps the allow tuples in file order, without the marker and the comment", () => {
    const text = [
      "*filter", ":ufw-user-input - [0:0]", "### RULES ###", "",
      "### tuple ### route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in", "-A ufw-user-forward -s 10.42.0.0/16 -j ACCEPT", "",
      "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in_cni0 comment=7373682068657265", "-A ufw-user-input -i cni0 -p tcp --dport 22 -j ACCEPT", "",
      "### tuple ### deny any any 0.0.0.0/0 any 10.0.0.0/8 in", "### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in",
      "### END RULES ###", "COMMIT", "",
    ].join("\n");
    expect(parseUserRules(text)).toEqual(["route:allow any any 0.0.0.0/0 any 10.42.0.0/16 in", "allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in_cni0"]);
    expect(parseUserRules("*filter\n### RULES ###\n### END RULES ###\nCOMMIT\n")).toEqual([]);
  });
});

describe("OpenUfw's parameters", () => {
  it.each(["10.42.1.0/24", "10.0.0.0/8"])("IPv4 CIDR %s", (value) => expect(validIPv4CIDR(value)).toBe(value));
  it.each(["fd00::/64", "10.42.1.0", "10.42.1.0/24 --force", "any"])("not an IPv4 CIDR: %s", (value) => expect(() => validIPv4CIDR(value)).toThrow(InvalidParameterError));
  it.each(["8472/udp", "10250/tcp", "1/tcp", "65535/udp"])("port %s", (value) => expect(validPortProtocol(value)).toBe(value));
  it.each(["0/tcp", "65536/tcp", "8472", "8472/sctp", "22/tcp; reset", "--force", 8472])("not a port: %s", (value) => expect(() => validPortProtocol(value)).toThrow(InvalidParameterError));
});
