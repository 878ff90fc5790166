/**
 * Node-only: prom-client's default process metrics (event-loop lag included) on a registry, for the
 * processes that serve `/metrics` (the API and the stream worker), without the three gauges
 * prom-client names like counters: `nodejs_active_handles_total`, `nodejs_active_requests_total` and
 * `nodejs_active_resources_total` fail `promtool check metrics` (a gauge named `_total`), and their
 * per-type twins (`sum(nodejs_active_handles)` etc.) give the same.
 */
import {
  collectDefaultMetrics,
  type DefaultMetricsCollectorConfiguration,
  type Registry,
  type RegistryContentType,
} from "prom-client";

/** prom-client default gauges named like counters (their per-type twins without `_total` stay). */
export const misnamedDefaultGauges = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export function collectProcessMetrics<T extends RegistryContentType>(
  registry: Registry<T>,
  config: Omit<DefaultMetricsCollectorConfiguration<T>, "register"> = {},
): void {
  collectDefaultMetrics({ ...config, register: registry });
  for (const name of misnamedDefaultGauges) registry.removeSingleMetric(name);
}
