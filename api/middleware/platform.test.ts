import { describe, expect, it } from "vitest";
import { createHarness } from "../testing/harness.ts";

describe("platform middleware", () => {
  it("413 for bodies over the limit, measured on the stream", async () => {
    const h = await createHarness({ settings: { BODY_LIMIT_BYTES: "64" } });
    const { key } = await h.tenant();
    const res = await h.call("/v1/api-keys", key, {
      method: "POST",
      json: { name: "x".repeat(100), scopes: ["read"] },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
  });

  it("415 for non-JSON bodies", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/api-keys", key, {
      method: "POST",
      body: "name=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "unsupported_media_type",
    );
  });

  it("400 for malformed JSON", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/api-keys", key, {
      method: "POST",
      body: "{oops",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
  });

  it("405 with Allow for a known path and another method", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/me", key, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "method_not_allowed",
    );
    const keys = await h.call("/v1/api-keys", key, { method: "PUT", json: {} });
    expect(keys.status).toBe(405);
    expect(keys.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "POST"]);
  });

  it("404, not 405, for a known path with a trailing slash (the router is strict about it)", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    for (const [path, method] of [
      ["/v1/slos/", "GET"],
      ["/v1/slos/slo_0000000000000000/", "GET"],
      ["/v1/webhooks/", "DELETE"],
    ] as const) {
      const res = await h.call(path, key, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("allow")).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("429 with Retry-After once a key's budget is spent, per key", async () => {
    const h = await createHarness({ settings: { RATE_LIMIT_PER_S: "1", RATE_LIMIT_BURST: "3" } });
    const a = await h.tenant("A");
    const b = await h.tenant("B");
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.call("/v1/me", a.key)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await h.call("/v1/me", a.key);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect((await h.call("/v1/me", b.key)).status).toBe(200);
    h.clock.nowMs += 1000;
    expect((await h.call("/v1/me", a.key)).status).toBe(200);
  });

  it("sets secure headers, Server-Timing and CORS for configured origins only", async () => {
    const h = await createHarness({ settings: { CORS_ORIGINS: "https://app.example.com" } });
    const res = await h.call("/health/live", undefined, {
      headers: { Origin: "https://app.example.com" },
    });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toContain("max-age");
    expect(res.headers.get("server-timing")).toContain("total");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    const other = await h.call("/health/live", undefined, {
      headers: { Origin: "https://evil.example" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await h.call("/v1/me", undefined, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");
  });

  it("sends no CORS headers when no origins are configured", async () => {
    const h = await createHarness();
    const res = await h.call("/health/live", undefined, {
      headers: { Origin: "https://app.example.com" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
