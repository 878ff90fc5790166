import { afterEach, describe, expect, it, vi } from "vitest";

/** The Worker's module as a new isolate loads it (its settings are built on the first request). */
async function isolate() {
  vi.resetModules();
  return (await import("./worker.ts")).default;
}

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
const post = (worker: Awaited<ReturnType<typeof isolate>>, env: Record<string, unknown>) =>
  worker.fetch(
    new Request("http://api.test/v1/webhooks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: `https://hooks.example.com/${"x".repeat(80)}` }),
    }),
    env,
    ctx as never,
  );

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the Worker's vars", () => {
  const base = { DATABASE_URL: "http://127.0.0.1:1" };

  it("takes an unquoted TOML number as the setting it names", async () => {
    const response = await post(await isolate(), { ...base, BODY_LIMIT_BYTES: 10 });
    expect(response.status).toBe(413);
  });

  it("refuses a number out of range and a boolean where a number belongs, naming them", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => logged.push(line));
    const response = await post(await isolate(), {
      ...base,
      BODY_LIMIT_BYTES: 0,
      RATE_LIMIT_PER_S: true,
    });
    expect(response.status).toBe(500);
    const problem = JSON.parse(logged[0] ?? "{}").problem as string;
    expect(problem).toMatch(/BODY_LIMIT_BYTES: must be at least 1/);
    expect(problem).toMatch(/RATE_LIMIT_PER_S: /);
  });

  it("refuses a table or an array under a setting's name, and leaves bindings alone", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => logged.push(line));
    const response = await post(await isolate(), {
      ...base,
      BODY_LIMIT_BYTES: { bytes: 10 },
      CORS_ORIGINS: ["https://a.example"],
      RATE_LIMITER: { limit: async () => ({ success: true }) },
    });
    expect(response.status).toBe(500);
    const problem = JSON.parse(logged[0] ?? "{}").problem as string;
    expect(problem).toContain("BODY_LIMIT_BYTES: must be a string, number or boolean");
    expect(problem).toContain("CORS_ORIGINS: must be a string, number or boolean");
    expect(problem).not.toContain("RATE_LIMITER");
  });

  it("validates a boolean as its text, and reads strings as before", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => logged.push(line));
    const refused = await post(await isolate(), { ...base, LOG_LEVEL: false });
    expect(refused.status).toBe(500);
    expect(JSON.parse(logged[0] ?? "{}").problem).toMatch(/^LOG_LEVEL: must be one of debug/);
    const response = await post(await isolate(), { ...base, BODY_LIMIT_BYTES: "10" });
    expect(response.status).toBe(413);
  });

  it("refuses a TELEMETRY_INGEST_TOKEN no Authorization header could carry, without echoing it", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => logged.push(line));
    const response = await post(await isolate(), {
      ...base,
      TELEMETRY_INGEST_URL: "http://127.0.0.1:9464/v1/ingest/requests",
      TELEMETRY_INGEST_TOKEN: "correct horse battery staple",
    });
    expect(response.status).toBe(500);
    expect(logged.join()).toMatch(/TELEMETRY_INGEST_TOKEN: may contain only letters, digits/);
    expect(logged.join()).not.toContain("horse");
  });
});
