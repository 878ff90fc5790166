/**
 * The shape every provisioned dashboard must have, checked on the generated JSON: current
 * schemaVersion, unique uid and panel ids, panels inside the 24-column grid without overlaps, every
 * query on the provisioned Prometheus datasource with a unique refId, and the `service` and `route`
 * template variables.
 */
import { z } from "zod";
import { datasource, schemaVersion } from "./grafana.ts";

const datasourceRef = z.object({
  type: z.literal(datasource.type),
  uid: z.literal(datasource.uid),
});
const gridPos = z.object({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});
const target = z.object({
  refId: z.string().regex(/^[A-Z]$/),
  datasource: datasourceRef,
  expr: z.string().min(1),
  legendFormat: z.string(),
  instant: z.boolean(),
  range: z.boolean(),
  exemplar: z.boolean().optional(),
});
const panelTypes = ["timeseries", "stat", "gauge", "bargauge", "table", "piechart"] as const;
const panel = z.object({
  id: z.number().int().positive(),
  type: z.enum(panelTypes),
  title: z.string().min(1),
  description: z.string().min(1),
  datasource: datasourceRef,
  gridPos,
  fieldConfig: z.object({
    defaults: z.object({ unit: z.string().min(1) }).passthrough(),
    overrides: z.array(z.unknown()),
  }),
  options: z.record(z.string(), z.unknown()),
  targets: z
    .array(target)
    .min(1)
    .refine((ts) => new Set(ts.map((t) => t.refId)).size === ts.length, "refIds must be unique"),
});
const row = z.object({
  id: z.number().int().positive(),
  type: z.literal("row"),
  title: z.string().min(1),
  collapsed: z.literal(false),
  gridPos,
  panels: z.array(z.never()),
});
const variable = z.object({
  type: z.literal("query"),
  name: z.string().regex(/^\w+$/),
  datasource: datasourceRef,
  definition: z.string().startsWith("label_values("),
  query: z.object({ query: z.string(), refId: z.string() }),
  includeAll: z.boolean(),
  allValue: z.string(),
  multi: z.boolean(),
});

export const dashboardSchema = z
  .object({
    uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
    title: z.string().min(1),
    description: z.string().min(1),
    tags: z.array(z.string()).min(1),
    editable: z.boolean(),
    schemaVersion: z.literal(schemaVersion),
    time: z.object({ from: z.string(), to: z.string() }),
    refresh: z.string(),
    templating: z.object({ list: z.array(variable) }),
    panels: z.array(z.union([row, panel])).min(1),
  })
  .passthrough()
  .superRefine((d, ctx) => {
    const names = d.templating.list.map((v) => v.name);
    for (const required of ["service", "route"])
      if (!names.includes(required))
        ctx.addIssue({ code: "custom", message: `template variable ${required} is missing` });
    const ids = d.panels.map((p) => p.id);
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: "custom", message: "panel ids must be unique" });
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      if (x + w > 24) ctx.addIssue({ code: "custom", message: `panel ${p.id} overflows the grid` });
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const cell = `${i},${j}`;
          if (cells.has(cell))
            ctx.addIssue({ code: "custom", message: `panel ${p.id} overlaps another at ${cell}` });
          cells.add(cell);
        }
    }
  });

export type CheckedDashboard = z.output<typeof dashboardSchema>;
