import { context, SpanKind, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { withWebhookAttemptSpan } from "./attempt-span.ts";
import type { WebhookAttempt } from "./webhook-sender.ts";

const exporter = new InMemorySpanExporter();
beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const row = { id: "ob_1", idempotencyKey: "msg_1", tenantId: "t1", targetId: "we_1", attempts: 0 };
const attempt = (fields: Partial<WebhookAttempt>): WebhookAttempt => ({
  webhookId: "msg_1",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  outcome: "delivered",
  durationMs: 3,
  attemptedAtMs: 0,
  responseExcerpt: "",
  ...fields,
});

describe("webhook attempt span", () => {
  it("is a CLIENT span with the HTTP client attributes, the URL's path and query redacted", async () => {
    await withWebhookAttemptSpan(
      row,
      { type: "test" },
      { url: "https://hooks.example.com/services/T0/B0/s3cr3t?token=abc" },
      async () => attempt({ status: 204 }),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.full": "https://hooks.example.com/REDACTED?REDACTED",
      "server.address": "hooks.example.com",
      "server.port": 443,
      "http.response.status_code": 204,
      "gridpulse.notify.outcome": "delivered",
    });
    expect(JSON.stringify(span?.attributes)).not.toContain("s3cr3t");
    expect(span?.attributes).not.toHaveProperty("error.type");
  });

  it("records error.type: the status of a failed response, or the failure without one", async () => {
    await withWebhookAttemptSpan(
      row,
      { type: "test" },
      { url: "http://127.0.0.1:9000/" },
      async () => attempt({ status: 503, outcome: "retry" }),
    );
    await withWebhookAttemptSpan(
      row,
      { type: "test" },
      { url: "http://127.0.0.1:9000/" },
      async () => attempt({ outcome: "retry", error: "timeout" }),
    );
    const [answered, unanswered] = exporter.getFinishedSpans();
    expect(answered?.attributes).toMatchObject({
      "server.port": 9000,
      "http.response.status_code": 503,
      "error.type": "503",
    });
    expect(unanswered?.attributes).toMatchObject({ "error.type": "timeout" });
    expect(unanswered?.attributes).not.toHaveProperty("http.response.status_code");
  });
});
