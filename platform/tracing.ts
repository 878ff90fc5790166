/**
 * Registers the OpenTelemetry SDK in a Node process (API or stream worker) when OTEL_TRACES_EXPORTER
 * names an exporter: a batch span processor to Zipkin (or the console), the configured sampler, the
 * W3C propagator and the AsyncLocalStorage context manager, and `trace_id`/`span_id` on every log
 * line written inside a span. With the default (`none`) nothing is registered and the spans made
 * through `@opentelemetry/api` stay no-ops.
 */
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-node";
import type { TracingConfig } from "../core/config/env.ts";
import { type Logger, setActiveSpanIds } from "../core/observability/logger.ts";

export interface Tracing {
  /** Whether spans are recorded and exported. */
  enabled: boolean;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is buffered, then stops (call at shutdown). */
  shutdown(): Promise<void>;
}

export function samplerFor(
  config: Pick<TracingConfig, "OTEL_TRACES_SAMPLER" | "OTEL_TRACES_SAMPLER_ARG">,
): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio;
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio });
  }
}

export function startTracing(
  config: TracingConfig,
  options: {
    serviceName: string;
    logger: Logger;
    /** Replaces the configured exporter (tests: an in-memory one). */
    exporter?: SpanExporter;
  },
): Tracing {
  if (config.OTEL_SDK_DISABLED || config.OTEL_TRACES_EXPORTER === "none") {
    return { enabled: false, flush: async () => {}, shutdown: async () => {} };
  }
  const serviceName = config.OTEL_SERVICE_NAME ?? options.serviceName;
  const exporter: SpanExporter =
    options.exporter ??
    (config.OTEL_TRACES_EXPORTER === "zipkin"
      ? new ZipkinExporter({ url: config.OTEL_EXPORTER_ZIPKIN_ENDPOINT, serviceName })
      : new ConsoleSpanExporter());
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    sampler: samplerFor(config),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
        maxQueueSize: 8192,
        maxExportBatchSize: 512,
      }),
    ],
  });
  provider.register();
  setActiveSpanIds(() => {
    const span = trace.getSpanContext(context.active());
    return span && isSpanContextValid(span) ? span : undefined;
  });
  options.logger.info("trace export on", {
    exporter: config.OTEL_TRACES_EXPORTER,
    ...(config.OTEL_TRACES_EXPORTER === "zipkin"
      ? { endpoint: config.OTEL_EXPORTER_ZIPKIN_ENDPOINT }
      : {}),
    serviceName,
    sampler: config.OTEL_TRACES_SAMPLER,
  });
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    async shutdown() {
      setActiveSpanIds(undefined);
      await provider
        .shutdown()
        .catch((err: unknown) =>
          options.logger.warn("trace export could not flush at shutdown", { err }),
        );
    },
  };
}
