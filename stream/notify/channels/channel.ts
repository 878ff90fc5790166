/**
 * What a notification channel is to the dispatcher. The dispatcher claims outbox rows and, for a row
 * of channel `c`, asks the channel registered as `c` (registry.ts) to load the target, refuse or
 * render, send one attempt, name the retry policy, and settle what the attempt means for the target
 * (health, disablement, deletion) — the statements it returns are stored in the attempt's own
 * transaction. The dispatcher itself knows no channel by name.
 *
 * A channel is a folder beside this file with a module `{ create(setup) }` and one line in the registry.
 */
import type { Client, InStatement } from "@libsql/client";
import type { OutboxPayload } from "../../../core/notify/outbox-payload.ts";
import type { AttemptOutcome } from "../../../core/notify/outcome.ts";
import type { NextStep, RetryPolicy } from "../../../core/notify/retry.ts";
import type { Logger } from "../../../core/observability/logger.ts";
import type { NotifyConfig } from "../config.ts";
import type { NotifyMetrics } from "../metrics.ts";
import type { OutboundAgents } from "../outbound-http.ts";
import type { ClaimedRow } from "../outbox-store.ts";
import type { NameResolver } from "../ssrf.ts";

/** One attempt as a sender reports it, as far as the dispatcher needs it. */
export interface SentAttempt {
  outcome: AttemptOutcome;
  /** Absent when no response arrived. */
  status?: number;
  durationMs: number;
  attemptedAtMs: number;
  /** The first bytes (default 1 KiB) of the response body. */
  responseExcerpt: string;
  retryAfterMs?: number;
  /** Why no usable response: time-out, network error code, the SSRF refusal reason, or why it was unsendable. */
  error?: string;
}

/** What the attempt means beyond the outbox row, decided by the channel. */
export interface Settlement {
  /** The next step of the row: the planned one, or a give-up when the target is gone for good. */
  step: NextStep;
  /** The target's changes (health, disablement and its consequences, deletion), in the attempt's transaction. */
  statements: InStatement[];
  /** The dispatcher's cached copy of the target is stale from now on. */
  forgetTarget: boolean;
  /** Runs once the attempt is stored (e.g. a log line about the target's fate). */
  afterStored?: () => void;
}

export interface AttemptToSettle<Target> {
  row: ClaimedRow;
  target: Target;
  attempt: SentAttempt;
  /** What planNextAttempt made of the outcome with this channel's policy. */
  step: NextStep;
  nowMs: number;
}

export interface NotifyChannel<Target = unknown, Message = unknown> {
  /** Every outcome an attempt on this channel can have: their metric series exist from the start. */
  readonly outcomes: readonly AttemptOutcome[];
  /** Reads a target by id (the dispatcher caches it for a second, emptied by the change stamp). */
  load(targetId: string): Promise<Target | undefined>;
  /** Why the row is cancelled without an attempt (target gone, disabled, another tenant's). */
  refuse(row: ClaimedRow, target: Target | undefined): string | undefined;
  /** The message for this target from the stored payload; throws when it cannot be rendered (`invalid`). */
  render(payload: OutboxPayload, target: Target, row: ClaimedRow): Message;
  /** One attempt; the receiver's failures are outcomes, not exceptions. */
  send(
    target: Target,
    message: Message,
    row: ClaimedRow,
    payload: OutboxPayload,
  ): Promise<SentAttempt>;
  /** The retry schedule of the row, and the time after which a retry would be pointless. */
  retry(row: ClaimedRow): { policy: RetryPolicy; expiresAtMs?: number };
  /** Classifies the attempt's consequence for the target (permanent failure: disable, delete, …). */
  settle(attempt: AttemptToSettle<Target>): Promise<Settlement>;
  /** Targets of this channel disabled now (the `endpoints_disabled` gauge); absent: always 0. */
  disabledTargets?(): Promise<number>;
  close(): void;
}

/** What the dispatch stage hands every channel it builds. */
export interface ChannelSetup {
  client: Client;
  config: NotifyConfig;
  metrics: NotifyMetrics;
  logger: Logger;
  agents: OutboundAgents;
  clock: () => number;
  /** Tests: resolve names without DNS. */
  resolve?: NameResolver;
}

export interface ChannelModule {
  create(setup: ChannelSetup): Promise<NotifyChannel>;
}

/** Builds every registered channel, keyed by the `outbox.channel` value it serves. */
export async function createChannels(
  registry: Readonly<Record<string, ChannelModule>>,
  setup: ChannelSetup,
): Promise<Map<string, NotifyChannel>> {
  const channels = new Map<string, NotifyChannel>();
  try {
    for (const [name, module] of Object.entries(registry))
      channels.set(name, await module.create(setup));
  } catch (error) {
    for (const channel of channels.values()) channel.close();
    throw error;
  }
  return channels;
}
