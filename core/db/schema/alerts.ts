import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { AlertState } from "../../alerts/evaluate.ts";
import type { Matcher } from "../../alerts/matchers.ts";
import type { NotificationGroup, RouteConfig } from "../../alerts/plan.ts";
import type { AlertRule } from "../../alerts/rules.ts";
import type { InhibitRule } from "../../alerts/suppression.ts";
import { tenants } from "./tenants.ts";

/**
 * When an alert's episode began (`state.activeAtMs`), the key of the alerts list and of its index. A
 * row whose state is not JSON (never written by gridpulse) gives null instead of failing the list
 * or, through the index, the write.
 */
export const alertActiveAtMs = (state: AnySQLiteColumn) =>
  sql<number>`(case when json_valid(${state}) then json_extract(${state}, '$.activeAtMs') end)`;

const tenantId = () =>
  text("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" });

/** Alert rules of a tenant (core/alerts/rules.ts); `rule.id` equals the row id. */
export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    kind: text("kind").notNull(),
    rule: text("rule", { mode: "json" }).$type<AlertRule>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [index("alert_rules_tenant_idx").on(t.tenantId, t.createdAtMs, t.id)],
);

/** Silences: label matchers muting matching alerts between startsAt and endsAt. */
export const silences = sqliteTable(
  "silences",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    matchers: text("matchers", { mode: "json" }).$type<Matcher[]>().notNull(),
    startsAtMs: integer("starts_at_ms").notNull(),
    endsAtMs: integer("ends_at_ms").notNull(),
    createdBy: text("created_by"),
    comment: text("comment"),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [
    index("silences_tenant_idx").on(t.tenantId, t.endsAtMs),
    index("silences_list_idx").on(t.tenantId, t.createdAtMs, t.id),
  ],
);

/**
 * Alert states (pending, firing, recently resolved) as the evaluator left them; `id` is the alert's
 * fingerprint. Written by the stream worker with the notification outbox in one transaction.
 */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    ruleId: text("rule_id").notNull(),
    status: text("status").notNull(),
    state: text("state", { mode: "json" }).$type<AlertState>().notNull(),
    /**
     * Acknowledgement, owned by the API (the evaluator's state carries a copy): the stream worker
     * clears it only when a new episode of the alert begins after it.
     */
    acknowledgedAtMs: integer("acknowledged_at_ms"),
    acknowledgedBy: text("acknowledged_by"),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [
    index("alerts_tenant_idx").on(t.tenantId, t.status),
    // The list's order (api/routes/alerts/list.ts): when the episode began, then id.
    index("alerts_list_idx").on(t.tenantId, alertActiveAtMs(t.state), t.id),
  ],
);

/** Alertmanager-style notification groups of a tenant's route (core/alerts/plan.ts). */
export const notificationGroups = sqliteTable(
  "notification_groups",
  {
    tenantId: tenantId(),
    routeId: text("route_id").notNull(),
    groupKey: text("group_key").notNull(),
    state: text("state", { mode: "json" }).$type<NotificationGroup>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.routeId, t.groupKey] })],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type SilenceRow = typeof silences.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;

/**
 * A tenant's notification policy: the Alertmanager-style route (group_by, group_wait, group_interval,
 * repeat_interval, send_resolved) and inhibition rules; one row per tenant at most, tenants without
 * a row get the defaults.
 */
export const notificationPolicies = sqliteTable(
  "notification_policies",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    route: text("route", { mode: "json" }).$type<RouteConfig>().notNull(),
    /** null: the default inhibition (a firing page inhibits the ticket of the same SLO). */
    inhibitRules: text("inhibit_rules", { mode: "json" }).$type<InhibitRule[]>(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [uniqueIndex("notification_policies_tenant_idx").on(t.tenantId)],
);

/**
 * Leases for work one process does at a time (the alert evaluator): the holder renews before
 * `expiresAtMs`; another process takes over once it has passed.
 */
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAtMs: integer("expires_at_ms").notNull(),
});

/**
 * Tenants whose alert inputs were edited, each with the sequence number of its latest edit: database
 * triggers (migration 0013) bump it on every insert, update and delete of the tenant's alert rules,
 * SLOs, silences, notification policy, webhook endpoints, push subscriptions and assessments, and on
 * an acknowledgement of one of its alerts, whoever makes it (API, SQL by hand). The incremental alert
 * evaluator reads the rows above the last sequence it saw and reloads those tenants.
 */
export const alertInputChanges = sqliteTable(
  "alert_input_changes",
  {
    tenantId: text("tenant_id").primaryKey(),
    seq: integer("seq").notNull(),
  },
  (t) => [index("alert_input_changes_seq_idx").on(t.seq)],
);

export type NotificationPolicyRow = typeof notificationPolicies.$inferSelect;

/** What a history entry keeps of its rule as it was when the alert fired (and resolved). */
export interface AlertHistoryRule {
  /** The rule (for SLO burn rules, generated from the SLO's tier). */
  rule: AlertRule;
  /** For SLO burn rules: the SLO's definition as it was, with its id. */
  slo?: { id: string; definition: unknown };
}

/**
 * Alert history: one row per episode of an alert that fired (pending alerts that never fired are not
 * history), written by the evaluator in the transaction of the step in which the alert fired, and
 * updated in the one in which it resolved. It keeps the rule's name and definition as they were, so a
 * deleted or changed SLO or rule leaves its history intact. Pruned after the retention
 * (`STREAM_ALERT_HISTORY_RETENTION_DAYS`, counted from the resolution).
 */
export const alertHistory = sqliteTable(
  "alert_history",
  {
    /** `<fingerprint>-<firedAtMs>`: one per episode. */
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    fingerprint: text("fingerprint").notNull(),
    ruleId: text("rule_id").notNull(),
    ruleName: text("rule_name").notNull(),
    rule: text("rule", { mode: "json" }).$type<AlertHistoryRule>().notNull(),
    severity: text("severity").notNull(),
    /** firing, resolved */
    status: text("status").notNull(),
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull(),
    annotations: text("annotations", { mode: "json" }).$type<Record<string, string>>().notNull(),
    value: real("value"),
    activeAtMs: integer("active_at_ms").notNull(),
    firedAtMs: integer("fired_at_ms").notNull(),
    resolvedAtMs: integer("resolved_at_ms"),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [
    index("alert_history_tenant_idx").on(t.tenantId, t.firedAtMs, t.id),
    index("alert_history_resolved_idx").on(t.resolvedAtMs),
  ],
);

export type AlertHistoryRow = typeof alertHistory.$inferSelect;

/**
 * The transitions outbox: every alert transition, written in the transaction of the evaluator's step
 * (with the alert states and the notification outbox), published to `alerts.transitions.v1` by the
 * lease holder in Kafka transactions that also commit the last published `seq` (stream/alerts
 * transitions-relay.ts), then deleted. `seq` orders them in commit order.
 */
export const alertTransitionsOutbox = sqliteTable(
  "alert_transitions_outbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The transition's deterministic id. */
    id: text("id").notNull(),
    tenantId: text("tenant_id").notNull(),
    /** Kafka message key: the alert fingerprint. */
    fingerprint: text("fingerprint").notNull(),
    /** The message value (AlertTransition JSON with tenantId). */
    payload: text("payload").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [uniqueIndex("alert_transitions_outbox_id_idx").on(t.id)],
);
