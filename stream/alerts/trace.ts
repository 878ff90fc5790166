/**
 * Spans of the alert evaluator, so a notification can be followed back to a request: when an alert on
 * a service fires, a `gridpulse.alert.fire` span is made a child of the service's latest trace
 * exemplar (the stage-2 span of a sampled request, `trace_exemplars`); each outbox row of a
 * notification carrying that alert gets a `gridpulse.alert.outbox` child span, whose traceparent is
 * stored in the row's payload for the dispatcher to continue. The firing's trace context is kept in
 * memory while the alert lives (a notification planned after group_wait still joins it); a restart or
 * a takeover forgets it, and later notifications of that alert start their own traces.
 */
import { context, type Span, SpanKind, trace } from "@opentelemetry/api";
import type { Logger } from "../../core/observability/logger.ts";
import type { ExemplarStore } from "../tracing/exemplars.ts";
import { spanContextFrom, traceparentOf, tracer } from "../tracing/tracing.ts";
import type { StepResult } from "./step.ts";
import type { TenantSnapshot } from "./tenant.ts";

const maxRemembered = 10_000;

export interface StepSpans {
  /** Ends the step's spans (with the write's error, if it failed). */
  end(error?: unknown): void;
}

export function createAlertTracing(exemplars: ExemplarStore, logger: Logger) {
  const firing = new Map<string, string>();

  async function parentOf(snapshot: TenantSnapshot, ruleId: string) {
    const rule = snapshot.rules.find((r) => r.id === ruleId);
    if (!rule || (rule.kind !== "slo_burn" && rule.kind !== "latency_threshold")) return undefined;
    const route = rule.kind === "latency_threshold" ? rule.params.route : undefined;
    const tp = await exemplars.latest(rule.params.service, route).catch((err: unknown) => {
      logger.warn("trace exemplar not read", { err });
      return undefined;
    });
    return tp ? spanContextFrom(tp) : undefined;
  }

  return {
    /**
     * Before the step's write: spans for the alerts that fire and for the outbox rows of their
     * notifications; the rows' payloads get the traceparent to continue.
     */
    async begin(snapshot: TenantSnapshot, step: StepResult, nowMs: number): Promise<StepSpans> {
      const spans: Span[] = [];
      const t = tracer();
      for (const transition of step.transitions) {
        if (transition.to !== "firing") {
          if (transition.to === "inactive") firing.delete(transition.fingerprint);
          continue;
        }
        const parent = await parentOf(snapshot, transition.ruleId);
        const span = t.startSpan(
          "gridpulse.alert.fire",
          {
            kind: SpanKind.INTERNAL,
            startTime: nowMs,
            attributes: {
              "gridpulse.tenant_id": snapshot.tenantId,
              "gridpulse.alert.rule_id": transition.ruleId,
              "gridpulse.alert.fingerprint": transition.fingerprint,
              "gridpulse.alert.from": transition.from,
              ...(transition.value !== null ? { "gridpulse.alert.value": transition.value } : {}),
              ...(transition.labels.alertname
                ? { "gridpulse.alert.name": transition.labels.alertname }
                : {}),
            },
          },
          parent ? trace.setSpanContext(context.active(), parent) : context.active(),
        );
        if (!span.isRecording()) continue;
        spans.push(span);
        if (firing.size >= maxRemembered) firing.delete(firing.keys().next().value as string);
        firing.set(transition.fingerprint, traceparentOf(span.spanContext()));
      }
      for (const row of step.outbox) {
        if (row.payload.type !== "alert") continue;
        const fired = row.payload.notification.alerts
          .map((a) => firing.get(a.fingerprint))
          .find((tp) => tp !== undefined);
        const parent = fired ? spanContextFrom(fired) : undefined;
        if (!parent) continue;
        const span = t.startSpan(
          "gridpulse.alert.outbox",
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              "gridpulse.tenant_id": row.tenantId,
              "gridpulse.outbox.id": row.id,
              "gridpulse.outbox.channel": row.channel,
              "gridpulse.outbox.target_id": row.targetId,
              "gridpulse.notification.key": row.idempotencyKey,
            },
          },
          trace.setSpanContext(context.active(), parent),
        );
        spans.push(span);
        row.payload = { ...row.payload, traceparent: traceparentOf(span.spanContext()) };
      }
      return {
        end(error) {
          for (const span of spans) {
            if (error) span.setStatus({ code: 2, message: String((error as Error).message) });
            span.end();
          }
        },
      };
    },
  };
}

export type AlertTracing = ReturnType<typeof createAlertTracing>;
