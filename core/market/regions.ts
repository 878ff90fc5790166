/**
 * How subsidy regions compare: trimmed and case-insensitive. One function serves the subsidy alerts
 * (core/alerts/subsidy.ts), notification filters (core/notify/subscription-filter.ts) and the
 * history's region filter: the market stage stores a subsidy's regions by this key
 * (`market_events.regions`), so `GET /v1/market/events?region=` lists the programs a subsidy alert
 * matches there. No imports: the evaluator runs it anywhere.
 */

/** A region's comparison key: trimmed (JavaScript whitespace) and lower-cased (Unicode). */
export const regionKey = (region: string): string => region.trim().toLowerCase();

/**
 * The annotation of a subsidy alert that holds its program's regions, which notification filters
 * read: `all`, or the regions as the program lists them, as a JSON array. An annotation, not a label:
 * labels make an alert's fingerprint, and the program version already says which regions it has.
 */
export const programRegionsAnnotation = "program_regions";

export const programRegionsText = (regions: "all" | readonly string[]): string =>
  regions === "all" ? "all" : JSON.stringify(regions);

/**
 * Whether a program whose `program_regions` annotation is `text` is open to one of `wanted` (compared
 * by regionKey): `all` is open to every region. Text that is neither (a rule's own annotation of that
 * name) counts as one region named so.
 */
export function programOpenToAny(text: string, wanted: readonly string[]): boolean {
  if (text === "all") return true;
  let regions: string[] = [text];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((r) => typeof r === "string")) regions = parsed;
  } catch {
    // not JSON: one region
  }
  const keys = new Set(regions.map(regionKey));
  return wanted.some((region) => keys.has(regionKey(region)));
}
