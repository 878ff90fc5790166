/**
 * One middleware that observes every request once it is answered: the structured access log (route
 * pattern, never the raw path with ids), request metrics, and the API's own RequestEvent for the
 * telemetry pipeline. Also gives each request its logger and the host dependencies.
 *
 * Tracing: where the host registered an SDK (`deps.tracing`), the request runs inside a SERVER span
 * that continues the caller's `traceparent` (and carries its `tracestate`), and the RequestEvent
 * carries that span's context, so the stream worker continues the same trace. Elsewhere (Workers) the
 * caller's `traceparent` is passed on in the event when it parses (W3C Trace Context §3.2), as version
 * 00; an invalid one is dropped. Either way the sink is handed the `tracestate` that goes with it
 * (core/observability/trace-context.ts). The span's name and attributes follow the OpenTelemetry HTTP
 * semantic conventions (core/observability/semconv.ts): `http.route` only when a route handler
 * matched (the metrics' bounded `(unmatched)` label never reaches the span).
 */
import { context, ROOT_CONTEXT, type Span, SpanKind, trace } from "@opentelemetry/api";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes, routePath } from "hono/route";
import { httpMethods, type RequestEventInput } from "../../core/events/request-event.ts";
import {
  httpServerRequestAttributes,
  httpServerResponseAttributes,
  httpServerSpanName,
} from "../../core/observability/semconv.ts";
import {
  spanContextFrom,
  traceparentOf,
  tracestateOf,
} from "../../core/observability/trace-context.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { noTelemetry, type RecordedTrace } from "../telemetry/telemetry-sink.ts";

const quietPaths = new Set(["/health/live", "/health/ready"]);
const knownMethods = new Set<string>(httpMethods);

/** The caller's trace context, when its `traceparent` parses (with its `tracestate`, if valid). */
const callerContext = (c: Context<AppEnv>) => {
  const traceparent = c.req.header("traceparent");
  return traceparent ? spanContextFrom(traceparent, c.req.header("tracestate")) : undefined;
};

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
        const traced = span ? span.spanContext() : callerContext(c);
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
        const recorded: RecordedTrace = {};
        if (traced) {
          event.traceparent = traceparentOf(traced);
          const tracestate = tracestateOf(traced);
          if (tracestate) recorded.tracestate = tracestate;
        }
        sink.record(event, recorded);
      }
      if (span) endServerSpan(span, method, handlerRoute(c), status);
    }
  };
  if (!deps.tracing) return (c, next) => observed(c, next);

  const tracer = trace.getTracer("gridpulse-api");
  return function observeMiddleware(c, next) {
    const remote = callerContext(c);
    const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    const method = c.req.method;
    const span = tracer.startSpan(
      httpServerSpanName(method, undefined),
      {
        kind: SpanKind.SERVER,
        attributes: httpServerRequestAttributes(method, new URL(c.req.url), c.req.header("host")),
      },
      parent,
    );
    return context.with(trace.setSpan(parent, span), () => observed(c, next, span));
  };
}

/**
 * The route pattern of the handler that answered, if one did: middleware (registered for every
 * method, e.g. `/v1/*`) is no route, so a request only middleware matched has none.
 */
function handlerRoute(c: Context<AppEnv>): string | undefined {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i] as (typeof routes)[number];
    if (route.method !== "ALL") return route.path;
  }
  return undefined;
}

function endServerSpan(span: Span, method: string, route: string | undefined, status: number) {
  span.updateName(httpServerSpanName(method, route));
  span.setAttributes(httpServerResponseAttributes(route, status));
  if (status >= 500) span.setStatus({ code: 2, message: `HTTP ${status}` });
  span.end();
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** On Workers, the Cloudflare data center that served the request. */
function cfColo(request: Request): string | undefined {
  const cf = (request as Request & { cf?: { colo?: unknown } }).cf;
  return typeof cf?.colo === "string" ? cf.colo : undefined;
}
