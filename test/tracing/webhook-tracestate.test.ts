/**
 * A webhook attempt sends the `tracestate` of its trace with the `traceparent` (W3C Trace Context
 * §3.3: a vendor passes the tracestate it received on to its outgoing requests). The real SDK setup
 * of the stream worker (W3C propagator, AsyncLocalStorage context), the real sender and a loopback
 * receiver that verifies the Standard Webhooks signature.
 */
import { context, createTraceState, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseEnv, tracingVars } from "../../core/config/env.ts";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { silentLogger } from "../../core/observability/logger.ts";
import { startTracing } from "../../platform/tracing.ts";
import { withWebhookAttemptSpan } from "../../stream/notify/channels/webhook/attempt-span.ts";
import { createWebhookSender } from "../../stream/notify/channels/webhook/webhook-sender.ts";
import { createOutboundGuard } from "../../stream/notify/ssrf.ts";
import { startWebhookReceiver } from "../notify/receivers.ts";

const exporter = new InMemorySpanExporter();
const tracing = startTracing(
  { ...parseEnv("test", z.object(tracingVars), {}), OTEL_TRACES_EXPORTER: "console" },
  { serviceName: "stream-test", logger: silentLogger, exporter },
);
afterAll(async () => {
  await tracing.shutdown();
  trace.disable();
  context.disable();
});

describe("webhook trace context", () => {
  it("sends the attempt span's traceparent with the tracestate of its trace", async () => {
    const secret = generateWebhookSecret();
    const receiver = await startWebhookReceiver([secret]);
    const sender = createWebhookSender({
      guard: createOutboundGuard({ allowlist: parseAllowlist(`127.0.0.1:${receiver.port}`) }),
      deadlineMs: 5000,
    });
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const caller = trace.setSpanContext(ROOT_CONTEXT, {
        traceId,
        spanId: "00f067aa0ba902b7",
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
        traceState: createTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
      });
      const endpoint = { url: `${receiver.url}/hook`, secrets: [{ secret }] };
      const row = {
        id: "ob_1",
        idempotencyKey: "msg_ts",
        tenantId: "t",
        targetId: "we",
        attempts: 0,
      };
      const attempt = await context.with(caller, () =>
        withWebhookAttemptSpan(row, { type: "test" }, endpoint, () =>
          sender.send(endpoint, { id: "msg_ts", body: "{}" }),
        ),
      );
      expect(attempt.outcome).toBe("delivered");
      await tracing.flush();
      const span = exporter.getFinishedSpans().find((s) => s.name === "gridpulse.notify.webhook");
      const headers = receiver.received[0]?.headers ?? {};
      expect(headers.traceparent).toBe(`00-${traceId}-${span?.spanContext().spanId}-01`);
      expect(headers.tracestate).toBe("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
      expect(receiver.rejected).toBe(0);
    } finally {
      sender.close();
      await receiver.close();
    }
  });
});
