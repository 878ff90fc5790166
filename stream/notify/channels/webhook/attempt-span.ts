/**
 * The span of one webhook delivery attempt (`gridpulse.notify.webhook`, CLIENT): a child of the
 * trace stored with the outbox row (the firing that planned it) when there is one. The attempt runs
 * inside it, so the outgoing `traceparent` (stream/notify/traceparent.ts) names this span and the
 * receiver continues the same trace.
 */
import { context, SpanKind, trace } from "@opentelemetry/api";
import type { OutboxPayload } from "../../../../core/notify/outbox-payload.ts";
import { spanContextFrom, tracer } from "../../../tracing/tracing.ts";
import type { WebhookAttempt } from "./webhook-sender.ts";

export async function withWebhookAttemptSpan(
  row: { id: string; idempotencyKey: string; tenantId: string; targetId: string; attempts: number },
  payload: OutboxPayload,
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
    if (attempt.status !== undefined)
      span.setAttribute("http.response.status_code", attempt.status);
    if (attempt.outcome !== "delivered")
      span.setStatus({ code: 2, message: attempt.error ?? attempt.outcome });
    return attempt;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
