/**
 * Which alerts a push subscription (or webhook endpoint) wants: by SLO, severity, market event kind
 * and region. An empty or absent list means "any". Alerts are matched through their labels, whose
 * names are fixed here so the evaluator and the API agree; a subsidy alert's region is its program's
 * regions, which it carries in the `program_regions` annotation (core/market/regions.ts).
 */
import { z } from "zod";
import { programOpenToAny, programRegionsAnnotation } from "../market/regions.ts";
import type { NotificationAlert } from "./payloads.ts";

export const filterLabels = {
  slo: "slo_id",
  severity: "severity",
  marketKind: "market_kind",
  region: "region",
} as const;

const list = z.array(z.string().min(1).max(200)).max(100).optional();

export const notificationFilterSchema = z
  .object({
    slos: list,
    severities: z
      .array(z.enum(["page", "ticket", "info"]))
      .max(3)
      .optional(),
    marketKinds: z
      .array(z.enum(["price", "subsidy", "regulation"]))
      .max(3)
      .optional(),
    regions: list,
  })
  .strict();

export type NotificationFilter = z.infer<typeof notificationFilterSchema>;

const allows = (wanted: readonly string[] | undefined, value: string | undefined) =>
  !wanted || wanted.length === 0 || (value !== undefined && wanted.includes(value));

/**
 * Whether `alert` passes `filter`. A criterion only applies to alerts that carry its label: an SLO
 * filter does not hide market alerts, and a market-kind filter does not hide SLO alerts. The region
 * criterion applies to alerts with a `region` label (a price rule's region, compared as written) and
 * to subsidy alerts with the `program_regions` annotation: a program for all regions passes, another
 * when one of the filter's regions is among its own (trimmed, case-insensitive, as subsidy alerts
 * match regions).
 */
export function filterMatches(filter: NotificationFilter, alert: NotificationAlert): boolean {
  const l = alert.labels;
  const applies = (label: string) => l[label] !== undefined;
  return (
    allows(filter.severities, l[filterLabels.severity]) &&
    (!applies(filterLabels.slo) || allows(filter.slos, l[filterLabels.slo])) &&
    (!applies(filterLabels.marketKind) || allows(filter.marketKinds, l[filterLabels.marketKind])) &&
    (!applies(filterLabels.region) || allows(filter.regions, l[filterLabels.region])) &&
    programRegionsAllow(filter.regions, alert)
  );
}

/** The region criterion on a subsidy alert's program regions (true when it does not apply). */
function programRegionsAllow(
  wanted: readonly string[] | undefined,
  alert: NotificationAlert,
): boolean {
  if (!wanted || wanted.length === 0) return true;
  if (alert.labels[filterLabels.marketKind] !== "subsidy") return true;
  const text = alert.annotations?.[programRegionsAnnotation];
  return text === undefined || programOpenToAny(text, wanted);
}

const criteria = ["slos", "severities", "marketKinds", "regions"] as const;

export type FilterNarrowing =
  | { ok: true; filter: NotificationFilter }
  | { ok: false; problems: { path: string; message: string }[] };

/**
 * The filter a subscriber may register under the bounds a tenant fixed (a subscriber token's
 * filters). Per criterion: bounds absent or empty allow anything; a requested list must be a subset
 * of the bounds; a criterion left open ("any") takes the bounds, so the result never reaches past
 * them.
 */
export function narrowFilter(
  bounds: NotificationFilter,
  requested: NotificationFilter,
): FilterNarrowing {
  const filter: Record<string, string[]> = {};
  const problems: { path: string; message: string }[] = [];
  for (const key of criteria) {
    const allowed = bounds[key] ?? [];
    const wanted: readonly string[] = requested[key] ?? [];
    if (allowed.length === 0) {
      if (wanted.length > 0) filter[key] = [...wanted];
      continue;
    }
    if (wanted.length === 0) {
      filter[key] = [...allowed];
      continue;
    }
    wanted.forEach((value, i) => {
      if (!(allowed as readonly string[]).includes(value))
        problems.push({ path: `${key}.${i}`, message: `not allowed by this token (${value})` });
    });
    filter[key] = [...new Set(wanted)];
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, filter };
}
