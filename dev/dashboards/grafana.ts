/**
 * A small builder for Grafana dashboard JSON (schemaVersion 42): rows of panels laid out on the 24-column
 * grid, Prometheus targets on the provisioned datasource, and the `service` and `route` template
 * variables every gridpulse dashboard carries (links between dashboards keep them). The JSON it emits
 * is checked by dev/dashboards/dashboard-schema.ts.
 */

export const schemaVersion = 42;
export const datasource = { type: "prometheus", uid: "gridpulse-prometheus" } as const;

export type PanelType = "timeseries" | "stat" | "gauge" | "bargauge" | "table" | "piechart";

export interface Query {
  expr: string;
  legend?: string;
  /** Evaluated once at the dashboard's end time (stat, gauge, table, pie panels). */
  instant?: boolean;
  /** Show the series' exemplars (trace ids from OpenMetrics, linked to the trace datasource). */
  exemplar?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  type?: PanelType;
  queries: Query[];
  unit?: string;
  min?: number;
  max?: number;
  /** Width on the 24-column grid (default 12) and height (default 8). */
  w?: number;
  h?: number;
  /** Threshold steps: the base colour, then [value, colour] pairs. */
  thresholds?: [string, ...[number, string][]];
  stacked?: boolean;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface VariableSpec {
  name: string;
  label: string;
  /** A label_values(...) query. */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  rows: RowSpec[];
}

const instantTypes = new Set<PanelType>(["stat", "gauge", "bargauge", "table", "piechart"]);

function panelJson(spec: PanelSpec, id: number, gridPos: GridPos) {
  const type = spec.type ?? "timeseries";
  const instant = instantTypes.has(type);
  const steps = spec.thresholds
    ? [
        { color: spec.thresholds[0], value: null },
        ...spec.thresholds.slice(1).map((s) => {
          const [value, color] = s as [number, string];
          return { color, value };
        }),
      ]
    : [{ color: "green", value: null }];
  const defaults: Record<string, unknown> = {
    unit: spec.unit ?? "short",
    thresholds: { mode: "absolute", steps },
    color: { mode: spec.thresholds ? "thresholds" : "palette-classic" },
  };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (type === "timeseries") {
    defaults.custom = {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: spec.stacked ? 30 : 10,
      showPoints: "never",
      spanNulls: false,
      stacking: { mode: spec.stacked ? "normal" : "none", group: "A" },
    };
  }
  const options: Record<string, unknown> =
    type === "timeseries"
      ? {
          legend: {
            displayMode: "table",
            placement: "bottom",
            showLegend: true,
            calcs: ["lastNotNull", "max"],
          },
          tooltip: { mode: "multi", sort: "desc" },
        }
      : type === "table"
        ? { showHeader: true, cellHeight: "sm" }
        : type === "piechart"
          ? {
              pieType: "donut",
              legend: {
                displayMode: "table",
                placement: "right",
                showLegend: true,
                values: ["value", "percent"],
              },
              reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
              tooltip: { mode: "single", sort: "none" },
            }
          : {
              reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
              orientation: "auto",
              ...(type === "stat"
                ? {
                    colorMode: "background",
                    graphMode: "none",
                    justifyMode: "auto",
                    textMode: "value_and_name",
                  }
                : {}),
              ...(type === "bargauge" ? { displayMode: "gradient", showUnfilled: true } : {}),
            };
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    ...(type === "table"
      ? { transformations: [{ id: "labelsToFields", options: { mode: "columns" } }] }
      : {}),
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      editorMode: "code",
      expr: q.expr,
      legendFormat: q.legend ?? "__auto",
      range: !(q.instant ?? instant),
      instant: q.instant ?? instant,
      ...(type === "table" ? { format: "table" } : {}),
      ...(q.exemplar ? { exemplar: true } : {}),
    })),
  };
}

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

function variableJson(v: VariableSpec) {
  return {
    type: "query",
    name: v.name,
    label: v.label,
    datasource,
    definition: v.query,
    query: { qryType: 1, query: v.query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    refresh: 2,
    regex: "",
    sort: 1,
    includeAll: true,
    allValue: ".*",
    multi: true,
    current: { selected: true, text: ["All"], value: ["$__all"] },
    hide: 0,
    options: [],
  };
}

export function dashboard(spec: DashboardSpec) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = p.w ?? 12;
      const h = p.h ?? 8;
      if (x + w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push(panelJson(p, id++, { x, y, w, h }));
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["gridpulse", ...spec.tags],
    editable: false,
    graphTooltip: 1,
    refresh: "30s",
    schemaVersion,
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    timezone: "browser",
    fiscalYearStartMonth: 0,
    liveNow: false,
    version: 1,
    weekStart: "",
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    links: [
      {
        title: "gridpulse",
        type: "dashboards",
        tags: ["gridpulse"],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: "external link",
        targetBlank: false,
        tooltip: "",
        url: "",
      },
    ],
    templating: { list: spec.variables.map(variableJson) },
    panels,
  };
}

export type DashboardJson = ReturnType<typeof dashboard>;

/** `$service`/`$route` matchers as the dashboards write them. */
export const svc = 'service=~"$service"';
export const rte = 'route=~"$route"';
