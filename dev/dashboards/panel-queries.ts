/**
 * Every query of a dashboard with its template variables filled in, as Grafana would send it to
 * Prometheus, and the metric families each query reads (to tell which process must export them).
 */
import type { CheckedDashboard } from "./dashboard-schema.ts";

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export interface Fill {
  /** Values of the dashboard's own variables (regexes; ".*" is All). */
  variables: Record<string, string>;
  rateInterval: string;
  range: string;
  interval: string;
}

export function fillQuery(expr: string, fill: Fill): string {
  return expr.replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, braced?: string, plain?: string) => {
    const name = (braced ?? plain) as string;
    if (name === "__rate_interval") return fill.rateInterval;
    if (name === "__range") return fill.range;
    if (name === "__interval") return fill.interval;
    // Anything else, such as label_replace's `$1`, stays as written.
    return fill.variables[name] ?? whole;
  });
}

export function panelQueries(d: CheckedDashboard, fill: Fill): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of d.panels) {
    if (p.type === "row") continue;
    for (const t of p.targets) {
      out.push({
        dashboard: d.uid,
        panel: p.title,
        refId: t.refId,
        expr: fillQuery(t.expr, fill),
        instant: t.instant,
      });
    }
  }
  return out;
}

/** Metric families a query reads from scraped targets (recorded `slo:` series and ALERTS excluded). */
export function scrapedFamilies(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = withoutStrings.match(/\b(?:gridpulse|nodejs|process)_[a-zA-Z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, "")))];
}

/** Metric family names a Prometheus text exposition declares (`# TYPE name kind`). */
export function exportedFamilies(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1] as string));
}
