/**
 * The span of one webhook delivery attempt (`gridpulse.notify.webhook`, CLIENT): a child of the
 * trace stored with the outbox row (the firing that planned it) when there is one. The attempt runs
 * inside it, so the outgoing `traceparent` (stream/notify/traceparent.ts) names this span and the
 * receiver continues the same trace. Its HTTP attributes follow the OpenTelemetry semantic
 * conventions for HTTP clients (core/observability/semconv.ts): `http.request.method`, `url.full`
 * with no userinfo and the path and query redacted (webhook URLs often hold a token), `server.address`,
 * `server.port`, `http.response.status_code` and, for a failure, `error.type`.
 */
import { context, SpanKind, trace } from "@opentelemetry/api";
import type { OutboxPayload } from "../../../../core/notify/outbox-payload.ts";
import {
  httpClientRequestAttributes,
  httpClientResponseAttributes,
} from "../../../../core/observability/semconv.ts";
import { spanContextFrom, tracer } from "../../../tracing/tracing.ts";
import type { WebhookAttempt } from "./webhook-sender.ts";

export async function withWebhookAttemptSpan(
  row: { id: string; idempotencyKey: string; tenantId: string; targetId: string; attempts: number },
  payload: OutboxPayload,
  endpoint: { url: string },
  send: () => Promise<WebhookAttempt>,
): Promise<WebhookAttempt> {
  const stored =
    payload.type === "alert" && payload.traceparent
      ? spanContextFrom(payload.traceparent)
      : undefined;
  const parent = stored ? trace.setSpanContext(context.active(), stored) : context.active();
  const span = tracer().startSpan(
    "gridpulse.notify.webhook",
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...httpClientRequestAttributes("POST", endpoint.url),
        "gridpulse.tenant_id": row.tenantId,
        "gridpulse.outbox.id": row.id,
        "gridpulse.webhook.endpoint_id": row.targetId,
        "gridpulse.webhook.id": row.idempotencyKey,
        "gridpulse.notify.attempt": row.attempts + 1,
        "gridpulse.notify.trigger": payload.type,
      },
    },
    parent,
  );
  try {
    const attempt = await context.with(trace.setSpan(parent, span), send);
    span.setAttribute("gridpulse.notify.outcome", attempt.outcome);
    const failed = attempt.outcome !== "delivered";
    span.setAttributes(
      httpClientResponseAttributes(
        attempt.status,
        failed ? (attempt.error ?? attempt.outcome) : undefined,
      ),
    );
    if (failed) span.setStatus({ code: 2, message: attempt.error ?? attempt.outcome });
    return attempt;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error).message });
    span.setAttribute("error.type", (error as Error).name || "_OTHER");
    throw error;
  } finally {
    span.end();
  }
}
