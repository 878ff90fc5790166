import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createGridpulseClient } from "../client.ts";
import { createHarness } from "../testing/harness.ts";

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document describing every route with the shared error schema", async () => {
    const h = await createHarness();
    const res = await h.call("/openapi.json", undefined);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; security?: unknown[] }>
      >;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health/live",
        "/health/ready",
        "/v1/api-keys",
        "/v1/api-keys/{id}",
        "/v1/assessments",
        "/v1/assessments/{id}",
        "/v1/assessments/{id}/benchmark",
        "/v1/benchmarks",
        "/v1/latency",
        "/v1/market/events",
        "/v1/market/prices",
        "/v1/me",
        "/v1/slos",
        "/v1/slos/import",
        "/v1/slos/{id}",
        "/v1/slos/{id}/status",
        "/v1/alert-rules",
        "/v1/alert-rules/{id}",
        "/v1/silences",
        "/v1/silences/{id}",
        "/v1/alerts",
        "/v1/alerts/history",
        "/v1/alerts/{id}",
        "/v1/alerts/{id}/acknowledge",
        "/v1/notification-policy",
        "/v1/webhooks",
        "/v1/webhooks/{id}",
        "/v1/webhooks/{id}/rotate-secret",
        "/v1/webhooks/{id}/test",
        "/v1/webhooks/{id}/messages",
        "/v1/webhooks/{id}/attempts",
        "/v1/webhooks/{id}/replay",
        "/v1/push/vapid-public-key",
        "/v1/push/subscriptions",
        "/v1/push/subscriptions/{id}",
        "/v1/push/subscriptions/{id}/test",
        "/v1/subscriber-tokens",
        "/v1/subscriber-tokens/{id}",
        "/v1/subscriber",
        "/v1/subscriber/subscriptions",
        "/v1/subscriber/subscriptions/{id}",
        "/v1/subscriber/subscriptions/{id}/test",
        "/v1/subscriber/alerts/{id}",
        "/v1/subscriber/alerts/{id}/acknowledge",
      ].sort(),
    );
    expect(doc.components.schemas.Error).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    const create = doc.paths["/v1/api-keys"]?.post;
    expect(Object.keys(create?.responses ?? {}).sort()).toEqual([
      "201",
      "400",
      "401",
      "403",
      "409",
      "413",
      "415",
      "422",
      "429",
      "500",
      "503",
    ]);
    expect(create?.security).toEqual([{ bearerAuth: [] }]);
  });

  it("serves a docs page listing the operations", async () => {
    const h = await createHarness();
    const res = await h.call("/docs", undefined);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("/v1/api-keys/{id}");
    expect(html).toContain("/openapi.json");
  });
});

describe("typed client", () => {
  it("calls the API with types from the app", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const client = createGridpulseClient("http://gridpulse.test", admin.key, {
      fetch: async (input, init) =>
        h.app.request(input instanceof Request ? input : String(input), init),
    });
    const created = await client.v1["api-keys"].$post({
      json: { name: "from client", scopes: ["read"] },
    });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const body = await created.json();
    expect(body.key.startsWith("gp_")).toBe(true);
    const one = await client.v1["api-keys"][":id"].$get({ param: { id: body.id } });
    expect(one.status).toBe(200);
    const webhook = await client.v1.webhooks.$post({
      json: { url: "https://hooks.example.com/typed", format: "alertmanager" },
    });
    expect(webhook.status).toBe(201);
    if (webhook.status !== 201) return;
    const endpoint = await webhook.json();
    expect(endpoint.secret.startsWith("whsec_")).toBe(true);
    const test = await client.v1.webhooks[":id"].test.$post({ param: { id: endpoint.id } });
    expect(test.status).toBe(202);
    const policy = await client.v1["notification-policy"].$get();
    if (policy.status !== 200) throw new Error(`policy: ${policy.status}`);
    expect((await policy.json()).isDefault).toBe(true);
    const vapid = await client.v1.push["vapid-public-key"].$get();
    if (vapid.status !== 200) throw new Error(`vapid key: ${vapid.status}`);
    expect((await vapid.json()).publicKey).toHaveLength(87);
    const me = await client.v1.me.$get();
    const meBody = await me.json();
    expect("tenantId" in meBody && meBody.tenantId).toBe(admin.tenantId);
  });
});
