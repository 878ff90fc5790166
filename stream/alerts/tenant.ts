/**
 * Loads what one evaluation step of a tenant starts from: its rules (explicit enabled rules and one
 * SLO burn rule per tier of each SLO), its alert states (with the API-owned acknowledgement columns
 * fed into them), notification groups, route and inhibition rules (defaults without a policy row),
 * silences not yet ended, and delivery targets (enabled webhook endpoints, push subscriptions).
 *
 * A stored rule or SLO that no longer validates is reported and its alerts are *held*: kept exactly
 * as they are (neither evaluated nor resolved as if the rule were deleted) until it is fixed.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import {
  type AlertRule,
  type AlertState,
  alertRuleSchema,
  defaultInhibitRules,
  type InhibitRule,
  inhibitRuleSchema,
  type NotificationGroup,
  type RouteConfig,
  routeSchema,
  type Silence,
  silenceSchema,
  sloBurnRules,
} from "../../core/alerts/index.ts";
import type { Database } from "../../core/db/database.ts";
import {
  type AlertRow,
  alertRules,
  alerts,
  notificationGroups,
  notificationPolicies,
  pushSubscriptions,
  silences,
  sloFromRow,
  slos,
  webhookEndpoints,
} from "../../core/db/schema/index.ts";
import {
  type NotificationFilter,
  notificationFilterSchema,
} from "../../core/notify/subscription-filter.ts";
import { type SloDefinition, sloDefinitionSchema } from "../../core/slo/definition.ts";

export interface LoadProblem {
  kind: "rule" | "slo" | "silence" | "policy" | "push_filter";
  id: string;
  /** Changes when the stored row changes: a problem is logged once per version. */
  version: string;
  error: unknown;
}

export interface TenantSnapshot {
  tenantId: string;
  rules: AlertRule[];
  slos: { id: string; definition: SloDefinition }[];
  /** Ids of rules that exist but could not be loaded: their alerts are held as they are. */
  heldRuleIds: Set<string>;
  /** Stored alert rows by fingerprint. */
  rows: Map<string, AlertRow>;
  /** Evaluator states, acknowledgement from the API's columns. */
  states: AlertState[];
  groups: NotificationGroup[];
  route: RouteConfig;
  inhibitRules: InhibitRule[];
  silences: Silence[];
  webhookIds: string[];
  push: { id: string; filters: NotificationFilter }[];
  problems: LoadProblem[];
}

export const defaultRoute: RouteConfig = routeSchema.parse({});

/** Tenants with anything to evaluate: rules, SLOs, or alerts and groups left from earlier steps. */
export async function tenantsToEvaluate(db: Database): Promise<string[]> {
  const ids = new Set<string>();
  for (const table of [alertRules, slos, alerts, notificationGroups]) {
    const rows = await db.selectDistinct({ tenantId: table.tenantId }).from(table);
    for (const r of rows) ids.add(r.tenantId);
  }
  return [...ids].sort();
}

export async function loadTenant(
  db: Database,
  tenantId: string,
  nowMs: number,
): Promise<TenantSnapshot> {
  const problems: LoadProblem[] = [];
  const heldRuleIds = new Set<string>();
  const rules: AlertRule[] = [];
  const sloList: TenantSnapshot["slos"] = [];

  const sloRows = await db.select().from(slos).where(eq(slos.tenantId, tenantId));
  const storedRows = await db
    .select()
    .from(alerts)
    .where(eq(alerts.tenantId, tenantId))
    .orderBy(alerts.id);
  for (const row of sloRows) {
    const parsed = sloDefinitionSchema.safeParse(sloFromRow(row));
    if (!parsed.success) {
      problems.push({
        kind: "slo",
        id: row.id,
        version: String(row.updatedAtMs),
        error: parsed.error,
      });
      // Its tiers are unknown: hold every alert of a rule derived from it.
      for (const a of storedRows)
        if (a.ruleId.startsWith(`slo:${row.id}:`)) heldRuleIds.add(a.ruleId);
      continue;
    }
    sloList.push({ id: row.id, definition: parsed.data });
    rules.push(...sloBurnRules({ id: row.id, definition: parsed.data }));
  }

  const ruleRows = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.enabled, true)))
    .orderBy(alertRules.id);
  for (const row of ruleRows) {
    const parsed = alertRuleSchema.safeParse(row.rule);
    if (!parsed.success || parsed.data.id !== row.id) {
      problems.push({
        kind: "rule",
        id: row.id,
        version: String(row.updatedAtMs),
        error: parsed.success ? new Error("the rule's id differs from its row id") : parsed.error,
      });
      heldRuleIds.add(row.id);
      continue;
    }
    rules.push(parsed.data);
  }

  const rows = new Map(storedRows.map((r) => [r.id, r]));
  const states = storedRows.map(
    (r): AlertState => ({
      ...r.state,
      acknowledgedAtMs: r.acknowledgedAtMs,
      acknowledgedBy: r.acknowledgedBy,
    }),
  );

  const groupRows = await db
    .select()
    .from(notificationGroups)
    .where(eq(notificationGroups.tenantId, tenantId));
  const groups = groupRows.map((g) => g.state);

  let route = defaultRoute;
  let inhibitRules: InhibitRule[] = [...defaultInhibitRules];
  const [policy] = await db
    .select()
    .from(notificationPolicies)
    .where(eq(notificationPolicies.tenantId, tenantId))
    .limit(1);
  if (policy) {
    const parsedRoute = routeSchema.safeParse(policy.route);
    const parsedInhibit = inhibitRuleSchema
      .array()
      .safeParse(policy.inhibitRules ?? defaultInhibitRules);
    if (!parsedRoute.success || !parsedInhibit.success) {
      problems.push({
        kind: "policy",
        id: policy.id,
        version: String(policy.updatedAtMs),
        error: parsedRoute.error ?? parsedInhibit.error,
      });
    } else {
      route = parsedRoute.data;
      inhibitRules = parsedInhibit.data;
    }
  }

  const silenceRows = await db
    .select()
    .from(silences)
    .where(and(eq(silences.tenantId, tenantId), gt(silences.endsAtMs, nowMs)));
  const activeSilences: Silence[] = [];
  for (const row of silenceRows) {
    const parsed = silenceSchema.safeParse({
      id: row.id,
      matchers: row.matchers,
      startsAtMs: row.startsAtMs,
      endsAtMs: row.endsAtMs,
    });
    if (parsed.success) activeSilences.push(parsed.data);
    else
      problems.push({
        kind: "silence",
        id: row.id,
        version: String(row.createdAtMs),
        error: parsed.error,
      });
  }

  const webhooks = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), isNull(webhookEndpoints.disabledAtMs)))
    .orderBy(webhookEndpoints.id);
  const pushRows = await db
    .select({ id: pushSubscriptions.id, filters: pushSubscriptions.filters })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.tenantId, tenantId))
    .orderBy(pushSubscriptions.id);
  const push: TenantSnapshot["push"] = [];
  for (const row of pushRows) {
    const parsed = notificationFilterSchema.safeParse(row.filters ?? {});
    if (parsed.success) push.push({ id: row.id, filters: parsed.data });
    else problems.push({ kind: "push_filter", id: row.id, version: "", error: parsed.error });
  }

  return {
    tenantId,
    rules,
    slos: sloList,
    heldRuleIds,
    rows,
    states,
    groups,
    route,
    inhibitRules,
    silences: activeSilences,
    webhookIds: webhooks.map((w) => w.id),
    push,
    problems,
  };
}
