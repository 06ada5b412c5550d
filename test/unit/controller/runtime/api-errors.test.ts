import { describe, expect, it } from "@jest/globals";
import { ApiException } from "@kubernetes/client-node";
import { classifyError, describeError, httpStatusOf } from "../../../../src/controller/runtime/api-errors.js";

const apiError = (code: number, message = "m") => new ApiException(code, "x", JSON.stringify({ kind: "Status", message }), {});

describe("classifyError", () => {
  it.each([
    [500, "transient"], [503, "transient"], [429, "transient"], [409, "transient"], [408, "transient"], [404, "transient"], [401, "transient"],
    [400, "terminal"], [422, "terminal"], [403, "terminal"], [415, "terminal"],
  ])("HTTP %i → %s", (code, expected) => {
    expect(classifyError(apiError(code))).toBe(expected);
  });

  it("treats network errors and timeouts as transient", () => {
    expect(classifyError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe("transient");
    expect(classifyError(new DOMException("The operation was aborted due to timeout", "TimeoutError"))).toBe("transient");
  });

  it("reads the status of a watch error (statusCode) as well", () => {
    expect(httpStatusOf(Object.assign(new Error("Forbidden"), { statusCode: 403 }))).toBe(403);
    expect(classifyError(Object.assign(new Error("Forbidden"), { statusCode: 403 }))).toBe("terminal");
  });
});

describe("describeError", () => {
  it("gives the status and the server's message", () => {
    expect(describeError(apiError(422, "NetworkHealth.netmedic.io \"n1\" is invalid: status.history: Too many"))).toBe(
      "HTTP 422: NetworkHealth.netmedic.io \"n1\" is invalid: status.history: Too many");
  });

  it("gives the code of a network error once", () => {
    expect(describeError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe("ECONNRESET: socket hang up");
    expect(describeError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe("connect ECONNREFUSED 127.0.0.1:1");
  });
});
