/**
 * One middleware that observes every request once it is answered: the structured access log (route
 * pattern, never the raw path with ids), request metrics, and the API's own RequestEvent for the
 * telemetry pipeline. Also gives each request its logger and the host dependencies.
 *
 * Tracing: where the host registered an SDK (`deps.tracing`), the request runs inside a SERVER span
 * that continues the caller's `traceparent`, and the RequestEvent carries that span's context, so the
 * stream worker continues the same trace. Elsewhere (Workers) the caller's `traceparent` is passed on
 * in the event as it came.
 */
import { context, ROOT_CONTEXT, type Span, SpanKind, trace } from "@opentelemetry/api";
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { httpMethods, type RequestEventInput } from "../../core/events/request-event.ts";
import { spanContextFrom, traceparentOf } from "../../core/observability/trace-context.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { noTelemetry } from "../telemetry/telemetry-sink.ts";

const quietPaths = new Set(["/health/live", "/health/ready"]);
const traceparentPattern = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const knownMethods = new Set<string>(httpMethods);

export function observe(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const observed = async (c: Context<AppEnv>, next: () => Promise<void>, span?: Span) => {
    const startedMs = performance.now();
    const logger = deps.logger.child({ requestId: c.var.requestId });
    c.set("logger", logger);
    c.set("deps", deps);
    deps.metrics.started();
    try {
      await next();
    } finally {
      const durationMs = performance.now() - startedMs;
      const status = c.res.status;
      const matched = routePath(c, -1);
      // Unmatched requests share one label so random paths cannot grow the series count.
      const route = matched === "/*" || matched === "*" ? "(unmatched)" : matched;
      const method = c.req.method;
      const sampled = span?.isRecording() ? span.spanContext().traceId : undefined;
      deps.metrics.finished({ route, method, status }, durationMs / 1000, sampled);
      const fields = { method, route, status, durationMs: round(durationMs) };
      if (quietPaths.has(c.req.path) && status < 400) logger.debug("request", fields);
      else logger.info("request", fields);
      const sink = deps.telemetry(c);
      // No event is built when the host records none (no Kafka brokers, no ingest endpoint).
      if (sink !== noTelemetry && knownMethods.has(method)) {
        const traceparent = span ? traceparentOf(span.spanContext()) : c.req.header("traceparent");
        const event: RequestEventInput = {
          id: crypto.randomUUID(),
          ts: deps.now(),
          service: deps.settings.SERVICE_NAME,
          route: route === "(unmatched)" ? "/(unmatched)" : route,
          method: method as RequestEventInput["method"],
          status,
          durationMs: round(durationMs),
        };
        const region = deps.settings.REGION ?? cfColo(c.req.raw);
        if (region) event.region = region;
        if (traceparent && traceparentPattern.test(traceparent)) event.traceparent = traceparent;
        sink.record(event);
      }
      if (span) endServerSpan(span, method, route, status);
    }
  };
  if (!deps.tracing) return (c, next) => observed(c, next);

  const tracer = trace.getTracer("gridpulse-api");
  return function observeMiddleware(c, next) {
    const incoming = c.req.header("traceparent");
    const remote = incoming ? spanContextFrom(incoming) : undefined;
    const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      c.req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": c.req.method,
          "url.path": c.req.path,
          "server.address": deps.settings.SERVICE_NAME,
        },
      },
      parent,
    );
    return context.with(trace.setSpan(parent, span), () => observed(c, next, span));
  };
}

function endServerSpan(span: Span, method: string, route: string, status: number) {
  span.updateName(`${method} ${route}`);
  span.setAttribute("http.route", route);
  span.setAttribute("http.response.status_code", status);
  if (status >= 500) span.setStatus({ code: 2, message: `HTTP ${status}` });
  span.end();
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** On Workers, the Cloudflare data center that served the request. */
function cfColo(request: Request): string | undefined {
  const cf = (request as Request & { cf?: { colo?: unknown } }).cf;
  return typeof cf?.colo === "string" ? cf.colo : undefined;
}
