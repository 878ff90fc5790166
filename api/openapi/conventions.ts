/**
 * The API's conventions written into the generated OpenAPI document in one place, so route files stay
 * plain: an `operationId` per operation (named here; a new route gets a derived one until it is named),
 * `servers`, `security: []` on public operations, the headers every response carries (X-Request-Id;
 * RateLimit and RateLimit-Policy on a secured operation's responses except 401, 413 and 415, which are
 * answered before the rate limit; Retry-After on 429, Location on 201, ETag and Cache-Control where
 * GETs are cacheable, with their 304), the `Idempotency-Key` parameter with its 409/422 on every POST,
 * the `If-None-Match` parameter on cacheable GETs, `If-Match` and `If-None-Match` on every operation
 * that documents 412 (PUT, PATCH and DELETE of a resource with a GET), and an example on every
 * request body.
 */

type Json = Record<string, unknown>;
type Operation = Json & {
  operationId?: string;
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: { content?: Record<string, Json> };
  responses: Record<string, Json & { headers?: Record<string, unknown> }>;
};
export interface OpenApiDoc {
  paths?: Record<string, Record<string, Operation>>;
  components?: Json;
  servers?: unknown[];
  [key: string]: unknown;
}

/** operationIds by `METHOD path`: stable names SDK generators turn into method names. */
export const operationIds: Record<string, string> = {
  "GET /health/live": "getLiveness",
  "GET /health/ready": "getReadiness",
  "GET /v1/me": "getMe",
  "POST /v1/api-keys": "createApiKey",
  "GET /v1/api-keys": "listApiKeys",
  "GET /v1/api-keys/{id}": "getApiKey",
  "DELETE /v1/api-keys/{id}": "revokeApiKey",
  "POST /v1/slos": "createSlo",
  "GET /v1/slos": "listSlos",
  "POST /v1/slos/import": "importSlo",
  "GET /v1/slos/{id}": "getSlo",
  "PUT /v1/slos/{id}": "replaceSlo",
  "DELETE /v1/slos/{id}": "deleteSlo",
  "GET /v1/slos/{id}/status": "getSloStatus",
  "GET /v1/latency": "getLatency",
  "POST /v1/assessments": "createAssessment",
  "GET /v1/assessments": "listAssessments",
  "GET /v1/assessments/{id}": "getAssessment",
  "GET /v1/assessments/{id}/benchmark": "getAssessmentBenchmark",
  "GET /v1/benchmarks": "getBenchmarks",
  "GET /v1/market/prices": "getMarketPrices",
  "GET /v1/market/events": "listMarketEvents",
  "POST /v1/alert-rules": "createAlertRule",
  "GET /v1/alert-rules": "listAlertRules",
  "GET /v1/alert-rules/{id}": "getAlertRule",
  "PUT /v1/alert-rules/{id}": "replaceAlertRule",
  "DELETE /v1/alert-rules/{id}": "deleteAlertRule",
  "POST /v1/silences": "createSilence",
  "GET /v1/silences": "listSilences",
  "GET /v1/silences/{id}": "getSilence",
  "DELETE /v1/silences/{id}": "expireSilence",
  "GET /v1/alerts": "listAlerts",
  "GET /v1/alerts/{id}": "getAlert",
  "POST /v1/alerts/{id}/acknowledge": "acknowledgeAlert",
  "GET /v1/notification-policy": "getNotificationPolicy",
  "PUT /v1/notification-policy": "replaceNotificationPolicy",
  "POST /v1/webhooks": "createWebhook",
  "GET /v1/webhooks": "listWebhooks",
  "GET /v1/webhooks/{id}": "getWebhook",
  "PATCH /v1/webhooks/{id}": "updateWebhook",
  "DELETE /v1/webhooks/{id}": "deleteWebhook",
  "POST /v1/webhooks/{id}/rotate-secret": "rotateWebhookSecret",
  "POST /v1/webhooks/{id}/test": "testWebhook",
  "GET /v1/webhooks/{id}/messages": "listWebhookMessages",
  "GET /v1/webhooks/{id}/attempts": "listWebhookAttempts",
  "POST /v1/webhooks/{id}/replay": "replayWebhookMessages",
  "GET /v1/push/vapid-public-key": "getVapidPublicKey",
  "POST /v1/push/subscriptions": "createPushSubscription",
  "GET /v1/push/subscriptions": "listPushSubscriptions",
  "GET /v1/push/subscriptions/{id}": "getPushSubscription",
  "DELETE /v1/push/subscriptions/{id}": "deletePushSubscription",
  "POST /v1/push/subscriptions/{id}/test": "testPushSubscription",
  "GET /v1/alerts/history": "listAlertHistory",
  "POST /v1/subscriber-tokens": "createSubscriberToken",
  "GET /v1/subscriber-tokens": "listSubscriberTokens",
  "GET /v1/subscriber-tokens/{id}": "getSubscriberToken",
  "DELETE /v1/subscriber-tokens/{id}": "revokeSubscriberToken",
  "GET /v1/subscriber": "getSubscriber",
  "GET /v1/subscriber/subscriptions": "listOwnPushSubscriptions",
  "POST /v1/subscriber/subscriptions": "createOwnPushSubscription",
  "DELETE /v1/subscriber/subscriptions/{id}": "deleteOwnPushSubscription",
  "POST /v1/subscriber/subscriptions/{id}/test": "testOwnPushSubscription",
  "GET /v1/subscriber/alerts/{id}": "getNotifiedAlert",
  "POST /v1/subscriber/alerts/{id}/acknowledge": "acknowledgeNotifiedAlert",
};

/** A camelCase name from method and path, for routes not (yet) named above. */
export function derivedOperationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s && s !== "v1")
    .map((s) => (s.startsWith("{") ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words]
    .map((w, i) => (i === 0 ? w : w[0]?.toUpperCase() + w.slice(1)))
    .join("");
}

/** Every `/v1` GET answers with an ETag (If-None-Match → 304) and Cache-Control (api/conventions/caching.ts). */
export const isCacheable = (method: string, path: string) =>
  method === "GET" && path.startsWith("/v1/");

const iso = "2026-11-22T12:00:00.000Z";
/** One example per request body, by operationId (each validated against its schema in the tests). */
export const requestExamples: Record<string, unknown> = {
  createApiKey: { name: "dashboards (read only)", scopes: ["read"] },
  createSlo: {
    name: "API availability",
    service: "edge-api",
    sli: { kind: "availability" },
    objective: 0.999,
    window: { kind: "rolling", days: 30 },
  },
  replaceSlo: {
    name: "API availability",
    service: "edge-api",
    sli: { kind: "availability" },
    objective: 0.995,
    window: { kind: "rolling", days: 30 },
  },
  importSlo: {
    yaml: [
      "apiVersion: openslo/v1",
      "kind: SLO",
      "metadata:",
      "  name: api-availability",
      "spec:",
      "  service: edge-api",
      "  budgetingMethod: Occurrences",
      "  objectives:",
      "    - target: 0.999",
      "  timeWindow:",
      "    - duration: 28d",
      "      isRolling: true",
    ].join("\n"),
    dryRun: true,
  },
  createAssessment: {
    location: { prefecture: "Attica" },
    buildingType: "apartment",
    constructionYear: 1995,
    heatedFloorAreaM2: 85,
    storeys: 1,
    systems: { heating: { type: "gas_boiler" } },
  },
  createAlertRule: {
    kind: "market_price",
    name: "electricity above 30 ct",
    severity: "ticket",
    labels: { team: "energy" },
    annotations: { summary: "retail electricity price above 0.30 EUR/kWh" },
    params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
  },
  replaceAlertRule: {
    kind: "market_price",
    name: "electricity above 35 ct",
    severity: "ticket",
    labels: { team: "energy" },
    annotations: {},
    params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.35 } },
    enabled: true,
  },
  createSilence: {
    matchers: [{ name: "severity", type: "=", value: "ticket" }],
    endsAt: iso,
    comment: "maintenance window",
  },
  acknowledgeAlert: {},
  replaceNotificationPolicy: { inhibitRules: null },
  createWebhook: {
    url: "https://hooks.example.com/gridpulse",
    format: "alertmanager",
    description: "on-call router",
  },
  updateWebhook: { enabled: false },
  rotateWebhookSecret: { graceMs: 86_400_000 },
  replayWebhookMessages: { since: iso },
  createPushSubscription: {
    endpoint: "https://fcm.googleapis.com/fcm/send/abc123",
    expirationTime: null,
    keys: {
      p256dh:
        "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
      auth: "tBHItJI5svbpez7KI4CCXg",
    },
    filters: { severities: ["page"] },
  },
  createSubscriberToken: {
    name: "on-call phone",
    filters: { severities: ["page"] },
    expiresAt: "2027-06-01T00:00:00Z",
    maxSubscriptions: 2,
  },
};
requestExamples.createOwnPushSubscription = requestExamples.createPushSubscription;

const header = (description: string, schema: Json = { type: "string" }) => ({
  description,
  schema,
});

const components = {
  headers: {
    "X-Request-Id": header(
      "The request's id (also in logs and error bodies); quote it when reporting",
    ),
    RateLimit: header(
      'IETF RateLimit: the calling key\'s remaining budget, e.g. `"per-key";r=4;t=1` (r: requests left, t: seconds until the burst is full again)',
    ),
    "RateLimit-Policy": header(
      'IETF RateLimit-Policy: the per-key quota, e.g. `"per-key";q=60;w=3` (q: burst, w: seconds to refill it)',
    ),
    "Retry-After": header("Seconds to wait before retrying", { type: "integer", minimum: 0 }),
    Location: header("Path of the created resource"),
    ETag: header(
      'Validator of the representation: strong (`"…"`, a digest of the identity-encoded body) on an uncompressed answer, weak (`W/"…"`) on a compressed one. Send either back in If-None-Match (304 when it still matches); If-Match on PUT, PATCH and DELETE takes only the strong one',
    ),
    "Cache-Control": header(
      "How long and by whom the response may be cached (200 and 304; errors are `no-store`)",
    ),
    "Idempotent-Replayed": header(
      "`true` when the response is the stored answer to an earlier request with the same Idempotency-Key",
      { type: "string", enum: ["true"] },
    ),
  },
  parameters: {
    IdempotencyKey: {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "A unique key per logical operation (e.g. a UUID). The first answer is kept for 24 h (IDEMPOTENCY_TTL_S) per tenant and replayed with `Idempotent-Replayed: true`; the same key with another request is a 422, and while the first is still running a 409.",
      schema: { type: "string", minLength: 1, maxLength: 255 },
      example: "5f0c2a1e-8b7d-4c4e-9a57-1d1f0f2b6c3e",
    },
    IfNoneMatch: {
      name: "If-None-Match",
      in: "header",
      required: false,
      description: "An ETag from an earlier response: 304 Not Modified when it still matches",
      schema: { type: "string" },
    },
    IfMatch: {
      name: "If-Match",
      in: "header",
      required: false,
      description:
        'Apply the change only if the resource\'s current ETag is one of these (strong comparison: a weak `W/"…"` tag never matches; send the ETag of an uncompressed GET), or `*`: only if it exists. Otherwise 412 and nothing changes',
      schema: { type: "string" },
      example: '"5d41402abc4b2a76"',
    },
    IfNoneMatchOnChange: {
      name: "If-None-Match",
      in: "header",
      required: false,
      description:
        "Apply the change only if the resource's current ETag is none of these (weak comparison), or, with `*`, only if it has no current representation. Otherwise 412 and nothing changes",
      schema: { type: "string" },
    },
  },
};

/** Statuses of a secured operation that are answered before the rate limit (body size, JSON only, auth). */
const answeredBeforeRateLimit = new Set(["401", "413", "415"]);

const ref = (kind: "headers" | "parameters", name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});
const errorRef = { $ref: "#/components/schemas/Error" };

/**
 * Tuples (`prefixItems`) also get `items` (the element schema when all positions share it) and their
 * length as min/maxItems: tools that read only `items` (Spectral, SDK generators) understand them.
 */
function closeTuples(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) closeTuples(child);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as Json;
  if (Array.isArray(schema.prefixItems) && schema.items === undefined) {
    const positions = schema.prefixItems.map((p) => JSON.stringify(p));
    schema.items = new Set(positions).size === 1 ? schema.prefixItems[0] : {};
    schema.minItems ??= positions.length;
    schema.maxItems ??= positions.length;
  }
  for (const child of Object.values(schema)) closeTuples(child);
}

const tagDescriptions: Record<string, string> = {
  Health: "Liveness and readiness probes (no API key)",
};

/** Writes the conventions into `doc` (the document zod-openapi generated) and returns it. */
export function applyConventions<D extends OpenApiDoc>(doc: D, serverUrl: string): D {
  doc.servers = [{ url: serverUrl, description: "This gridpulse API" }];
  const info = doc.info as Json;
  info.contact ??= { name: "gridpulse", url: `${serverUrl}/docs` };
  closeTuples(doc.components);
  const tags = new Set<string>();
  doc.components = {
    ...doc.components,
    headers: { ...(doc.components?.headers as Json), ...components.headers },
    parameters: { ...(doc.components?.parameters as Json), ...components.parameters },
  };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [lower, op] of Object.entries(item)) {
      if (!op || typeof op !== "object" || !("responses" in op)) continue;
      const method = lower.toUpperCase();
      op.operationId ??= operationIds[`${method} ${path}`] ?? derivedOperationId(method, path);
      op.description ??= op.summary;
      for (const tag of (op.tags as string[] | undefined) ?? []) tags.add(tag);
      const secured = (op.security?.length ?? 0) > 0;
      if (!secured) op.security = [];
      if (method === "POST" && secured) {
        op.parameters = [...(op.parameters ?? []), ref("parameters", "IdempotencyKey")];
        op.responses["409"] ??= {
          description: "Conflict: a request with the same Idempotency-Key is still in progress",
          content: { "application/json": { schema: errorRef } },
        };
        op.responses["422"] ??= {
          description: "The Idempotency-Key was already used with another request",
          content: { "application/json": { schema: errorRef } },
        };
      }
      const cacheable = isCacheable(method, path);
      if (cacheable) {
        op.parameters = [...(op.parameters ?? []), ref("parameters", "IfNoneMatch")];
        op.responses["304"] ??= {
          description: "Not Modified: the If-None-Match ETag still matches",
          headers: {
            ETag: ref("headers", "ETag"),
            "Cache-Control": ref("headers", "Cache-Control"),
            "X-Request-Id": ref("headers", "X-Request-Id"),
          },
        };
      }
      if (op.responses["412"])
        op.parameters = [
          ...(op.parameters ?? []),
          ref("parameters", "IfMatch"),
          ref("parameters", "IfNoneMatchOnChange"),
        ];
      const example = requestExamples[op.operationId];
      const media = op.requestBody?.content?.["application/json"];
      if (media && example !== undefined) media.example ??= example;
      for (const [status, response] of Object.entries(op.responses)) {
        if ("$ref" in response) continue;
        const headers: Record<string, unknown> = { ...response.headers };
        headers["X-Request-Id"] = ref("headers", "X-Request-Id");
        // 401, 413 and 415 are answered before the rate limit runs (api/app.ts): no RateLimit there.
        if (secured && !answeredBeforeRateLimit.has(status)) {
          headers.RateLimit = ref("headers", "RateLimit");
          headers["RateLimit-Policy"] = ref("headers", "RateLimit-Policy");
        }
        if (status === "429" || status === "503")
          headers["Retry-After"] = ref("headers", "Retry-After");
        if (status === "201") headers.Location = ref("headers", "Location");
        if (method === "POST" && secured && status.startsWith("2"))
          headers["Idempotent-Replayed"] = ref("headers", "Idempotent-Replayed");
        if (cacheable && status === "200") {
          headers.ETag = ref("headers", "ETag");
          headers["Cache-Control"] = ref("headers", "Cache-Control");
        }
        response.headers = headers;
      }
    }
  }
  (doc as OpenApiDoc).tags = [...tags].map((name) => ({
    name,
    description: tagDescriptions[name] ?? name,
  }));
  return doc;
}
