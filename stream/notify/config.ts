/**
 * Settings of notification delivery, from the environment (validated once at start). The stream
 * worker's composition root merges this schema with its own.
 */
import { z } from "zod";
import { type EnvSource, parseEnv, positiveIntVar, whenValid } from "../../core/config/env.ts";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { defaultRetryScheduleMs, parseRetrySchedule } from "../../core/notify/retry.ts";
import { assertVapidKeys } from "./channels/push/vapid-keys.ts";

const refineParse =
  <T>(parse: (v: string) => T) =>
  (value: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  };

export const notifyConfigSchema = z
  .object({
    /** Exceptions to the SSRF guard: CIDRs, address[:port], host[:port]; off (empty) by default. */
    NOTIFY_OUTBOUND_ALLOWLIST: z.string().default("").transform(refineParse(parseAllowlist)),
    /** Delays before each attempt, e.g. `0,5s,5m,30m,2h,5h,10h,10h` (the default). */
    NOTIFY_RETRY_SCHEDULE: z
      .string()
      .optional()
      .transform((v, ctx) =>
        v === undefined ? [...defaultRetryScheduleMs] : refineParse(parseRetrySchedule)(v, ctx),
      ),
    /** Each delay is scaled by a random factor in [1 - j, 1 + j]. */
    NOTIFY_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
    /** A webhook endpoint that has only failed for this long is disabled (default 5 days). */
    NOTIFY_ENDPOINT_DISABLE_AFTER_H: positiveIntVar(120, 24 * 365),
    NOTIFY_WEBHOOK_DEADLINE_MS: positiveIntVar(15_000, 120_000),
    NOTIFY_PUSH_DEADLINE_MS: positiveIntVar(15_000, 120_000),
    NOTIFY_RESPONSE_EXCERPT_BYTES: positiveIntVar(1024, 65_536),
    /** Push-service hosts allowed besides FCM, Mozilla, Apple and WNS (`host` or `*.domain`). */
    NOTIFY_PUSH_HOSTS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
      .refine(
        (hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(h)),
        "must be a comma-separated list of host names or *.domain patterns",
      ),
    /** Seconds a push service keeps an undelivered message (TTL header); default 1 day. */
    NOTIFY_PUSH_TTL_S: z.coerce.number().int().min(0).max(2_419_200).default(86_400),
    VAPID_PUBLIC_KEY: z.string().optional(),
    VAPID_PRIVATE_KEY: z.string().optional(),
    /** VAPID `sub` claim: how a push service reaches the operator. */
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, "must be a mailto: or https: URL")
      .default("mailto:ops@gridpulse.invalid"),
    /** Dispatcher: attempts in flight at once (per process). */
    NOTIFY_CONCURRENCY: positiveIntVar(32, 1024),
    /** Dispatcher: how often the outbox is polled while idle (a full batch polls again at once). */
    NOTIFY_POLL_INTERVAL_MS: positiveIntVar(200, 60_000),
    /** Dispatcher: due rows claimed per poll. */
    NOTIFY_BATCH_SIZE: positiveIntVar(100, 1000),
    /**
     * Dispatcher: how long a claimed row stays reserved; a crashed dispatcher's rows are taken up again
     * after it. Must exceed both deadlines (a live attempt never loses its claim).
     */
    NOTIFY_LEASE_MS: positiveIntVar(60_000, 3_600_000),
    /** Overrides NOTIFY_ENDPOINT_DISABLE_AFTER_H with milliseconds (tests compress the period). */
    NOTIFY_ENDPOINT_DISABLE_AFTER_MS: z.coerce.number().int().positive().optional(),
    /** Dispatcher: how often the backlog and disabled-endpoint gauges are refreshed from the database. */
    NOTIFY_GAUGES_INTERVAL_MS: positiveIntVar(15_000, 600_000),
    /** Base URL of the gridpulse API, for links in notifications (generatorURL, externalURL). */
    NOTIFY_EXTERNAL_URL: z
      .url({ protocol: /^https?$/ })
      .default("http://127.0.0.1:8787")
      .transform((v) => v.replace(/\/+$/, "")),
  })
  .superRefine(
    (c, ctx) => {
      if (c.NOTIFY_LEASE_MS <= Math.max(c.NOTIFY_WEBHOOK_DEADLINE_MS, c.NOTIFY_PUSH_DEADLINE_MS))
        ctx.addIssue({
          code: "custom",
          message: "must exceed NOTIFY_WEBHOOK_DEADLINE_MS and NOTIFY_PUSH_DEADLINE_MS",
          path: ["NOTIFY_LEASE_MS"],
        });
    },
    whenValid("NOTIFY_LEASE_MS", "NOTIFY_WEBHOOK_DEADLINE_MS", "NOTIFY_PUSH_DEADLINE_MS"),
  );

export type NotifyConfig = z.output<typeof notifyConfigSchema>;

/** How long an endpoint may only fail before it is disabled. */
export const disableAfterMs = (config: NotifyConfig) =>
  config.NOTIFY_ENDPOINT_DISABLE_AFTER_MS ?? config.NOTIFY_ENDPOINT_DISABLE_AFTER_H * 3_600_000;

export const loadNotifyConfig = (env: EnvSource): NotifyConfig =>
  parseEnv("notifications", notifyConfigSchema, env);

/**
 * What is wrong with VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY without the database: one set without the
 * other, an encoding, or halves of different pairs (never echoing the private key). Unset: none (the
 * stored pair is checked when the dispatch stage loads it).
 */
export function vapidConfigProblems(env: EnvSource): string[] {
  const publicKey = env.VAPID_PUBLIC_KEY?.trim() || undefined;
  const privateKey = env.VAPID_PRIVATE_KEY?.trim() || undefined;
  if (!publicKey && !privateKey) return [];
  if (!publicKey) return ["VAPID_PUBLIC_KEY: must be set with VAPID_PRIVATE_KEY (both or neither)"];
  if (!privateKey)
    return ["VAPID_PRIVATE_KEY: must be set with VAPID_PUBLIC_KEY (both or neither)"];
  try {
    assertVapidKeys({ publicKey, privateKey });
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
