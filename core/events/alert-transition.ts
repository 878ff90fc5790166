/**
 * AlertTransition messages on `alerts.transitions.v1` (key = the alert's fingerprint): a change of an
 * alert's phase as the evaluator committed it, with the alert after the change and its tenant. `id`
 * is deterministic (hash of fingerprint, from, to, atMs): consumers deduplicate by it.
 */
import { z } from "zod";
import type { AlertTransition } from "../alerts/evaluate.ts";

const phase = z.enum(["inactive", "pending", "firing", "resolved"]);
const epochMs = z.number().int();
const stringMap = z.record(z.string(), z.string());

export const alertTransitionMessageSchema = z.strictObject({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  fingerprint: z.string().min(1),
  ruleId: z.string().min(1),
  from: phase,
  to: phase,
  /** Evaluation time of the change, epoch ms. */
  atMs: epochMs,
  labels: stringMap,
  annotations: stringMap,
  /** The rule's value (burn rate, ms, EUR/kWh, %); null without data. */
  value: z.number().nullable(),
  activeAtMs: epochMs,
  firedAtMs: epochMs.nullable(),
  resolvedAtMs: epochMs.nullable(),
});

export type AlertTransitionMessage = z.output<typeof alertTransitionMessageSchema>;

/** The evaluator's transitions plus the tenant are exactly this message (checked by the compiler). */
export const asTransitionMessage = (
  t: Pick<AlertTransition, keyof Omit<AlertTransitionMessage, "tenantId">>,
  tenantId: string,
): AlertTransitionMessage => ({
  id: t.id,
  tenantId,
  fingerprint: t.fingerprint,
  ruleId: t.ruleId,
  from: t.from,
  to: t.to,
  atMs: t.atMs,
  labels: { ...t.labels },
  annotations: { ...t.annotations },
  value: t.value,
  activeAtMs: t.activeAtMs,
  firedAtMs: t.firedAtMs,
  resolvedAtMs: t.resolvedAtMs,
});
