/**
 * The SLO file Prometheus rules are generated from (`dashboards/slos.yaml`): gridpulse SLO definitions
 * (core's schema, or OpenSLO v1 documents through core's importer) and, per service, the Prometheus
 * histogram that measures the same requests the SLO counts. gridpulse itself counts RequestEvents from
 * Kafka; Prometheus needs a metric of the same requests, so an SLO whose service has no source is
 * reported and left out, never guessed.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { type SloDefinition, sloDefinitionSchema } from "../../core/slo/definition.ts";
import { importOpenSlo } from "../../core/slo/openslo.ts";

/** A Prometheus histogram of requests, labelled by route pattern and HTTP status. */
export const sourceSchema = z.strictObject({
  histogram: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name"),
  /** Label matchers selecting this service's series, e.g. `job="gridpulse-api"`. */
  selector: z.string().default(""),
  routeLabel: z.string().default("route"),
  statusLabel: z.string().default("status"),
  /** The histogram's bucket bounds in seconds: a latency threshold must be one of them. */
  bucketsS: z.array(z.number().positive()).min(1),
});
export type PrometheusSource = z.output<typeof sourceSchema>;

const sloIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/,
    "must be letters, digits, _ or - (a slug or a stored SLO id)",
  );

const entrySchema = z.union([
  z.object({ id: sloIdSchema, openslo: z.string().min(1) }).strict(),
  z.object({ id: sloIdSchema }).passthrough(),
]);

export const sloFileSchema = z.strictObject({
  sources: z.record(z.string(), sourceSchema).default({}),
  slos: z.array(entrySchema).default([]),
});

export interface IdentifiedSlo {
  id: string;
  slo: SloDefinition;
}

export interface SloFile {
  sources: Record<string, PrometheusSource>;
  slos: IdentifiedSlo[];
  warnings: string[];
}

/** Parses an SLO file; `openslo` entries name a file relative to it. Throws with every problem. */
export function parseSloFile(text: string, path = "slos.yaml"): SloFile {
  const parsed = sloFileSchema.safeParse(parse(text) ?? {});
  if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
  const warnings: string[] = [];
  const problems: string[] = [];
  const slos: IdentifiedSlo[] = [];
  for (const entry of parsed.data.slos) {
    const { id, ...rest } = entry as { id: string; openslo?: string };
    let input: unknown = rest;
    if (typeof rest.openslo === "string") {
      const imported = importOpenSlo(readFileSync(resolve(dirname(path), rest.openslo), "utf8"));
      warnings.push(...imported.warnings.map((w) => `${id}: ${w}`));
      input = imported.definition;
    }
    const slo = sloDefinitionSchema.safeParse(input);
    if (!slo.success) problems.push(`slo ${id}: ${z.prettifyError(slo.error)}`);
    else slos.push({ id, slo: slo.data });
  }
  const ids = slos.map((s) => s.id);
  for (const id of new Set(ids))
    if (ids.filter((x) => x === id).length > 1) problems.push(`slo id ${id} is used twice`);
  if (problems.length > 0) throw new Error(`${path}:\n${problems.join("\n")}`);
  return { sources: parsed.data.sources, slos, warnings };
}
