import { describe, expect, it } from "vitest";
import { createHarness } from "../testing/harness.ts";

type ErrorBody = { error: { code: string; message: string } };

describe("authenticate: RFC 6750 §3.1 errors", () => {
  it("answers a Bearer header without a token, or with a malformed one, 400 invalid_request", async () => {
    const h = await createHarness();
    for (const value of [
      "Bearer",
      "Bearer ",
      "bearer   ",
      "Bearer a b",
      "Bearer gp_a,b",
      'Bearer "gp_x"',
    ]) {
      const res = await h.call("/v1/me", undefined, { headers: { Authorization: value } });
      expect(res.status, value).toBe(400);
      expect(res.headers.get("www-authenticate"), value).toMatch(
        /^Bearer realm="gridpulse", error="invalid_request", error_description="[^"]+"$/,
      );
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code, value).toBe("bad_request");
      expect(body.error.message, value).toContain("Authorization");
    }
  });

  it("answers another scheme 401 with a bare challenge, no error code", async () => {
    const h = await createHarness();
    for (const value of ["Basic dXNlcjpwYXNz", "Token abc", "Bearerx abc"]) {
      const res = await h.call("/v1/me", undefined, { headers: { Authorization: value } });
      expect(res.status, value).toBe(401);
      expect(res.headers.get("www-authenticate"), value).toBe('Bearer realm="gridpulse"');
      expect(((await res.json()) as ErrorBody).error.code, value).toBe("unauthorized");
    }
  });

  it("answers the subscriber routes the same way: 400 for a malformed Bearer header, a bare 401 for another scheme", async () => {
    const h = await createHarness();
    for (const value of ["Bearer", "Bearer a b"]) {
      const res = await h.call("/v1/subscriber", undefined, { headers: { Authorization: value } });
      expect(res.status, value).toBe(400);
      expect(res.headers.get("www-authenticate"), value).toMatch(
        /^Bearer realm="gridpulse-subscriber", error="invalid_request", /,
      );
    }
    const basic = await h.call("/v1/subscriber", undefined, {
      headers: { Authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toBe('Bearer realm="gridpulse-subscriber"');
  });

  it("keeps invalid_token for a well-formed key that is unknown, and takes the scheme in any case", async () => {
    const h = await createHarness();
    const unknown = await h.call("/v1/me", `gp_${"A".repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const notAKey = await h.call("/v1/me", undefined, { headers: { Authorization: "Bearer abc" } });
    expect(notAKey.status).toBe(401);
    expect(notAKey.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const { key } = await h.tenant();
    const lower = await h.call("/v1/me", undefined, {
      headers: { Authorization: `bearer ${key}` },
    });
    expect(lower.status).toBe(200);
  });

  it("counts a malformed header as a failed authentication of the address", async () => {
    const h = await createHarness({
      settings: { AUTH_FAILURE_RATE_LIMIT_PER_S: "1", AUTH_FAILURE_RATE_LIMIT_BURST: "3" },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call("/v1/me", undefined, {
        headers: { Authorization: "Bearer", "X-Test-Client-Address": "198.51.100.9" },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
  });
});
