import { z } from "zod";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { instant } from "../shared/query.ts";
import { secured } from "../shared/schema.ts";

export const alertOperation = secured("Alerts");

export const alertIdParams = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/, "must be an alert fingerprint (16 hex digits)"),
});

export const alertSchema = z
  .object({
    id: z.string().describe("the alert's fingerprint"),
    ruleId: z.string(),
    status: z.enum(["pending", "firing", "resolved"]),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    value: z.number().nullable(),
    activeAt: z.iso.datetime(),
    firedAt: z.iso.datetime().nullable(),
    resolvedAt: z.iso.datetime().nullable(),
    acknowledgedAt: z.iso.datetime().nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .meta({ id: "Alert" });

export const listAlertsQuery = z.object({
  status: z
    .enum(["active", "pending", "firing", "resolved"])
    .optional()
    .describe(
      "active = pending or firing; unset: all, including recently resolved (15 min; older: /v1/alerts/history)",
    ),
  ruleId: z.string().max(128).optional(),
  ...pageQueryFields,
});
export const alertPageSchema = pageSchema(alertSchema, "AlertPage");

export const historyQuery = z.object({
  from: instant
    .optional()
    .describe("episodes still firing at or after this time (RFC 3339 or epoch ms)"),
  to: instant.optional().describe("episodes that fired before this time (exclusive)"),
  status: z.enum(["firing", "resolved"]).optional(),
  ruleId: z.string().max(128).optional(),
  sloId: z.string().max(128).optional().describe("episodes of this SLO's burn-rate tiers"),
  ...pageQueryFields,
});

export const historyEntrySchema = z
  .object({
    id: z.string().describe("the episode: the alert's fingerprint and its firing time"),
    alertId: z.string().describe("the alert's fingerprint (as in /v1/alerts)"),
    ruleId: z.string(),
    ruleName: z.string().describe("the rule's name when the alert fired"),
    rule: z
      .record(z.string(), z.unknown())
      .describe("the rule's definition when the alert fired (as /v1/alert-rules shows rules)"),
    slo: z
      .object({ id: z.string(), definition: z.record(z.string(), z.unknown()) })
      .nullable()
      .describe("SLO burn alerts: the SLO's definition when the alert fired"),
    severity: z.string(),
    status: z.enum(["firing", "resolved"]),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    value: z.number().nullable(),
    activeAt: z.iso.datetime(),
    firedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "AlertHistoryEntry" });
export const historyPageSchema = pageSchema(historyEntrySchema, "AlertHistoryPage");
