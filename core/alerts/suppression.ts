/**
 * Silences and inhibition: which alerts are muted at `now`, and by what.
 *
 * A silence applies while startsAtMs ≤ now < endsAtMs to alerts matching all of its matchers. It needs at
 * least one matcher that does not match the empty string, so that no silence mutes everything.
 *
 * An inhibition rule mutes a target alert (matching target_matchers) while some other firing alert
 * matches source_matchers and has the same value (a missing label counts as "") for every label in `equal`.
 * An alert never inhibits itself; silenced alerts still inhibit (as in Alertmanager). The default rule:
 * a firing page inhibits the ticket of the same SLO (both must carry slo_id, so that alerts without an
 * SLO never inhibit each other through two missing labels).
 */
import { z } from "zod";
import type { Labels } from "./labels.ts";
import { labelNameSchema } from "./labels.ts";
import { type Matcher, matcherSchema, matchesAll, matches as matchesOne } from "./matchers.ts";

export const silenceSchema = z
  .strictObject({
    id: z.string().min(1).max(128),
    matchers: z.array(matcherSchema).min(1).max(32),
    startsAtMs: z.number().int(),
    endsAtMs: z.number().int(),
    createdBy: z.string().max(200).optional(),
    comment: z.string().max(2000).optional(),
  })
  .refine((s) => s.endsAtMs > s.startsAtMs, {
    message: "endsAtMs must be after startsAtMs",
    path: ["endsAtMs"],
  })
  .refine((s) => s.matchers.some((m) => !matchesOne(m, {})), {
    message:
      "at least one matcher must not match the empty string (a silence cannot mute everything)",
    path: ["matchers"],
  });

export type Silence = z.output<typeof silenceSchema>;

export const inhibitRuleSchema = z.strictObject({
  source_matchers: z.array(matcherSchema).min(1).max(32),
  target_matchers: z.array(matcherSchema).min(1).max(32),
  equal: z.array(labelNameSchema).max(32).default([]),
});

export type InhibitRule = z.output<typeof inhibitRuleSchema>;

const nonEmpty = (name: string): Matcher => ({ name, type: "=~", value: ".+" });

/** A firing page inhibits the ticket of the same SLO. */
export const defaultInhibitRules: readonly InhibitRule[] = [
  {
    source_matchers: [{ name: "severity", type: "=", value: "page" }, nonEmpty("slo_id")],
    target_matchers: [{ name: "severity", type: "=", value: "ticket" }, nonEmpty("slo_id")],
    equal: ["slo_id"],
  },
];

export const silenceActive = (s: Silence, nowMs: number) =>
  s.startsAtMs <= nowMs && nowMs < s.endsAtMs;

export interface MutableAlert {
  fingerprint: string;
  status: "pending" | "firing" | "resolved";
  labels: Labels;
}

export interface Suppression {
  /** Ids of active silences matching the alert, sorted. */
  silencedBy: string[];
  /** Fingerprints of firing alerts inhibiting it, sorted. */
  inhibitedBy: string[];
}

export const isMuted = (s: Suppression | undefined) =>
  s !== undefined && (s.silencedBy.length > 0 || s.inhibitedBy.length > 0);

/** Silences matching `labels` at `nowMs`. */
export const silencedBy = (silences: readonly Silence[], labels: Labels, nowMs: number) =>
  silences
    .filter((s) => silenceActive(s, nowMs) && matchesAll(s.matchers, labels))
    .map((s) => s.id)
    .sort();

/** Suppression of every alert (keyed by fingerprint); pending alerts are neither muted nor sources. */
export function suppressions(args: {
  now: number;
  alerts: readonly MutableAlert[];
  silences: readonly Silence[];
  inhibitRules: readonly InhibitRule[];
}): Map<string, Suppression> {
  const { now, alerts, silences, inhibitRules } = args;
  const out = new Map<string, Suppression>();
  // Per rule, firing sources indexed by their values of the `equal` labels (missing = "").
  const equalKey = (rule: InhibitRule, labels: Labels) => {
    // Each value prefixed by its length: distinct value lists never share a key.
    let key = "";
    for (const name of rule.equal) {
      const value = labels[name] ?? "";
      key += `${value.length}:${value}`;
    }
    return key;
  };
  const sources = inhibitRules.map((rule) => {
    const byKey = new Map<string, string[]>();
    for (const a of alerts) {
      if (a.status !== "firing" || !matchesAll(rule.source_matchers, a.labels)) continue;
      const key = equalKey(rule, a.labels);
      const list = byKey.get(key);
      if (list) list.push(a.fingerprint);
      else byKey.set(key, [a.fingerprint]);
    }
    return byKey;
  });
  for (const alert of alerts) {
    if (alert.status === "pending") continue;
    const inhibitedBy = new Set<string>();
    inhibitRules.forEach((rule, i) => {
      if (!matchesAll(rule.target_matchers, alert.labels)) return;
      for (const fp of sources[i]?.get(equalKey(rule, alert.labels)) ?? []) {
        if (fp !== alert.fingerprint) inhibitedBy.add(fp);
      }
    });
    out.set(alert.fingerprint, {
      silencedBy: silencedBy(silences, alert.labels, now),
      inhibitedBy: [...inhibitedBy].sort(),
    });
  }
  return out;
}
