/**
 * Hostile and unlucky request input: every case is a 4xx with the error shape naming the field, never
 * a 500 and never silently accepted.
 */
import { describe, expect, it } from "vitest";
import { generateVapidKeys } from "../../core/notify/vapid.ts";
import { createHarness } from "../testing/harness.ts";
import { countKeys, countMembers, duplicateKeyPath, parseStrictJson } from "./strict-json.ts";

interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; code: string }[] };
}

const errorOf = async (res: Response) => (await res.json()) as ErrorBody;
const paths = async (res: Response) =>
  ((await errorOf(res)).error.details ?? []).map((d) => d.path);

const slo = {
  name: "checkout availability",
  service: "edge-api",
  sli: { kind: "availability" },
  objective: 0.999,
  window: { kind: "rolling", days: 30 },
};

function rawJson(
  h: Awaited<ReturnType<typeof createHarness>>,
  path: string,
  key: string,
  body: string,
) {
  return h.call(path, key, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/json" },
  });
}

describe("YAML import limits", () => {
  it("answers an alias bomb with 400 naming body.yaml, not 500", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const levels = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < levels.length; i++) {
      const prev = `*${levels[i - 1]}`;
      lines.push(`${levels[i]}: &${levels[i]} [${Array(9).fill(prev).join(",")}]`);
    }
    const res = await h.call("/v1/slos/import", key, {
      method: "POST",
      json: { yaml: lines.join("\n") },
    });
    expect(res.status).toBe(400);
    const body = await errorOf(res);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details?.[0]?.path).toBe("body.yaml");
    expect(body.error.message).toMatch(/alias/);
  });

  it("refuses deep nesting with 400", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const deep = `kind: SLO\nspec: ${"[".repeat(40)}1${"]".repeat(40)}\n`;
    const res = await h.call("/v1/slos/import", key, { method: "POST", json: { yaml: deep } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).error.message).toMatch(/deeper than 32/);
  });
});

describe("OpenSLO import of hostile values", () => {
  const openSlo = (overrides: Record<string, string> = {}) =>
    [
      `apiVersion: ${overrides.apiVersion ?? "openslo/v1"}`,
      "kind: SLO",
      `metadata: { name: ${overrides.name ?? "edge-latency"} }`,
      "spec:",
      "  service: edge-api",
      `  description: ${overrides.description ?? "ok"}`,
      "  indicator:",
      "    metadata: { name: lat }",
      "    spec:",
      "      thresholdMetric:",
      "        metricSource: { type: gridpulse, spec: { field: durationMs } }",
      `  timeWindow: [{ duration: ${overrides.duration ?? "30d"}, isRolling: true }]`,
      `  budgetingMethod: ${overrides.budgetingMethod ?? "Occurrences"}`,
      `  objectives: [{ target: ${overrides.target ?? "0.99"}, op: lte, value: 250 }]`,
    ].join("\n");

  it("answers maps where scalars belong (their own toString key included) with 400, not 500", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    for (const field of ["apiVersion", "name", "duration", "budgetingMethod", "target"]) {
      const res = await h.call("/v1/slos/import", key, {
        method: "POST",
        json: { yaml: openSlo({ [field]: "{ toString: 1, valueOf: 2 }" }), dryRun: true },
      });
      expect(res.status, field).toBe(400);
      const body = await errorOf(res);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details?.[0]?.path).toBe("body.yaml");
    }
  });

  it("refuses NUL characters written as YAML escapes, naming the field", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/slos/import", key, {
      method: "POST",
      json: { yaml: openSlo({ name: '"api\\0avail"', description: '"x\\0y"' }) },
    });
    expect(res.status).toBe(400);
    expect((await paths(res)).sort()).toEqual(["body.yaml.description", "body.yaml.name"]);
    expect(((await (await h.call("/v1/slos", key)).json()) as { data: unknown[] }).data).toEqual(
      [],
    );
  });
});

describe("__proto__ keys", () => {
  it("are refused with 400 naming them, not dropped from a map (labels) without a word", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const rule =
      '{"kind":"market_price","name":"Electricity above 30 cents","severity":"ticket",' +
      '"labels":{"__proto__":"x","team":"a"},"annotations":{},' +
      '"params":{"carrier":"electricity","condition":{"op":"above","thresholdEurPerKwh":0.3}}}';
    const res = await rawJson(h, "/v1/alert-rules", key, rule);
    expect(res.status).toBe(400);
    expect(await paths(res)).toEqual(["body.labels.__proto__"]);
    const list = (await (await h.call("/v1/alert-rules", key)).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
  });
});

describe("Validation errors of huge bodies", () => {
  it("list at most 100 fields and say how many there were", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const body: Record<string, unknown> = { ...slo };
    for (let i = 0; i < 5000; i++) body[`unknown${i}`] = 1;
    const res = await h.call("/v1/slos", key, { method: "POST", json: body });
    expect(res.status).toBe(400);
    const error = (await errorOf(res)).error;
    expect(error.details).toHaveLength(100);
    expect(error.message).toContain("5000 invalid fields; the first 100 are listed");
  });
});

describe("NUL characters", () => {
  it("are refused in stored text with 400 naming the field", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const cases: [string, unknown, string][] = [
      [
        "/v1/webhooks",
        {
          url: "https://hooks.example.com/x",
          format: "alertmanager",
          description: "ok\u0000hidden",
        },
        "body.description",
      ],
      ["/v1/slos", { ...slo, name: "checkout\u0000" }, "body.name"],
      ["/v1/slos", { ...slo, routes: ["/v1/ok", "/v1/x\u0000y"] }, "body.routes.1"],
      ["/v1/api-keys", { name: "\u0000", scopes: ["read"] }, "body.name"],
    ];
    for (const [path, json, field] of cases) {
      const res = await h.call(path, key, { method: "POST", json });
      expect(res.status, field).toBe(400);
      const body = await errorOf(res);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details).toEqual([
        { path: field, message: "must not contain NUL characters", code: "nul_character" },
      ]);
    }
    // Query strings too.
    const query = await h.call("/v1/latency?service=edge%00api", key);
    expect(query.status).toBe(400);
    expect(await paths(query)).toContain("query.service");
    // Nothing was stored.
    const webhooks = (await (await h.call("/v1/webhooks", key)).json()) as { data: unknown[] };
    expect(webhooks.data).toEqual([]);
  });
});

describe("strict JSON bodies", () => {
  it("refuses duplicate keys with 400 naming the repeated key's path", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const top = await rawJson(h, "/v1/api-keys", key, '{"name":"a","scopes":["read"],"name":"b"}');
    expect(top.status).toBe(400);
    const body = await errorOf(top);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details).toEqual([
      {
        path: "body.name",
        message: 'duplicate key "name" in the JSON body',
        code: "duplicate_key",
      },
    ]);
    const nested = await rawJson(
      h,
      "/v1/slos",
      key,
      `{"name":"x","service":"edge-api","sli":{"kind":"availability","kind":"latency"},"objective":0.99,"window":{"kind":"rolling","days":30}}`,
    );
    expect(nested.status).toBe(400);
    expect(await paths(nested)).toEqual(["body.sli.kind"]);
    // An escaped spelling of the same key is the same key.
    const escaped = await rawJson(
      h,
      "/v1/api-keys",
      key,
      '{"name":"a","scopes":["read"],"n\\u0061me":"b"}',
    );
    expect(await paths(escaped)).toEqual(["body.name"]);
    // Nothing was created.
    const keys = (await (await h.call("/v1/api-keys", key)).json()) as { data: unknown[] };
    expect(keys.data).toHaveLength(1);
  });

  it("refuses malformed and over-deep JSON with 400 and the error shape", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const malformed = await rawJson(h, "/v1/api-keys", key, '{"name": "a",');
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).error.code).toBe("bad_request");
    const deep = await rawJson(h, "/v1/api-keys", key, `${"[".repeat(5000)}${"]".repeat(5000)}`);
    expect(deep.status).toBe(400);
    expect((await errorOf(deep)).error.message).toMatch(/deeper than 64/);
  });

  it("finds duplicates exactly, with strings that hold quotes, colons and escapes", () => {
    const text = '{"a:":"x\\":{","b":[{"c":1},{"c":2,"d":{"e":"\\\\","e":3}}]}';
    expect(countMembers(text)).toBe(7);
    expect(countKeys(JSON.parse(text)).count).toBe(6);
    expect(duplicateKeyPath(text)).toEqual(["b", "1", "d", "e"]);
    expect(() => parseStrictJson(text)).toThrow(/duplicate key "e"/);
    const clean = '{"a":"\\"","b":[{"a":1},{"a":2}],"c":{"a":{"a":[]}}}';
    expect(countMembers(clean)).toBe(countKeys(JSON.parse(clean)).count);
    expect(parseStrictJson(clean)).toEqual(JSON.parse(clean));
  });
});

describe("unknown fields", () => {
  it("are named in the path, one detail per field", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/slos", key, {
      method: "POST",
      json: { ...slo, foo: 1, sli: { kind: "availability", bar: true } },
    });
    expect(res.status).toBe(400);
    expect((await paths(res)).sort()).toEqual(["body.foo", "body.sli.bar"]);
  });
});

describe("push endpoints", () => {
  const subscription = async (endpoint: string) => ({
    endpoint,
    keys: {
      p256dh: (await generateVapidKeys()).publicKey,
      auth: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"),
    },
  });

  it("accept push services on port 443 only", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    for (const port of [":22", ":8443", ":80"]) {
      const res = await h.call("/v1/push/subscriptions", key, {
        method: "POST",
        json: await subscription(`https://fcm.googleapis.com${port}/fcm/send/x`),
      });
      expect(res.status, port).toBe(400);
      const body = await errorOf(res);
      expect(body.error.details?.[0]?.path).toBe("body.endpoint");
      expect(body.error.message).toMatch(/port 443/);
    }
    for (const endpoint of [
      "https://fcm.googleapis.com/fcm/send/x",
      "https://fcm.googleapis.com:443/fcm/send/y",
    ]) {
      const res = await h.call("/v1/push/subscriptions", key, {
        method: "POST",
        json: await subscription(endpoint),
      });
      expect(res.status, endpoint).toBe(201);
    }
  });
});

describe("failed authentication", () => {
  it("is rate-limited per client address: 429 with Retry-After, counted", async () => {
    const counted: string[] = [];
    const h = await createHarness({
      settings: { AUTH_FAILURE_RATE_LIMIT_PER_S: "1", AUTH_FAILURE_RATE_LIMIT_BURST: "5" },
      metrics: {
        started: () => {},
        finished: () => {},
        rateLimited: () => {},
        assessed: () => {},
        authFailed: (outcome) => counted.push(outcome),
      },
    });
    const { key } = await h.tenant();
    const from = (address: string, credentials?: string) =>
      h.call("/v1/me", credentials, { headers: { "X-Test-Client-Address": address } });
    const bad = "gp_0000000000000000000000000000000000000000000";
    // A key verified before the address misbehaves stays usable (it is in the auth cache).
    expect((await from("198.51.100.7", key)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await from("198.51.100.7", i % 2 ? bad : undefined)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const limited = await from("198.51.100.7", bad);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await errorOf(limited)).error.code).toBe("rate_limited");
    expect((await from("198.51.100.7", key)).status).toBe(200);
    // Another address has its own budget.
    expect((await from("203.0.113.9", bad)).status).toBe(401);
    // The budget refills with time.
    h.clock.nowMs += 1000;
    expect((await from("198.51.100.7", bad)).status).toBe(401);
    expect((await from("198.51.100.7", bad)).status).toBe(429);
    expect(counted.filter((o) => o === "unauthorized")).toHaveLength(7);
    expect(counted.filter((o) => o === "rate_limited")).toHaveLength(5);
  });
});
