/**
 * The one list of notification channels: the `outbox.channel` value each serves, and its module.
 * A new channel is a folder beside this file (its module, sender, rendering, SQL) and one line here.
 * Keyed by core's runtime-neutral `outboxChannels` (core/notify/outbox-payload.ts, what the API and
 * the alert evaluator may write): the type system refuses a registry that misses one of them or
 * names one core does not know.
 */
import type { OutboxChannel } from "../../../core/notify/outbox-payload.ts";
import type { ChannelModule } from "./channel.ts";
import { pushChannel } from "./push/push.channel.ts";
import { webhookChannel } from "./webhook/webhook.channel.ts";

export const notifyChannelRegistry = {
  webhook: webhookChannel,
  push: pushChannel,
} as const satisfies Record<OutboxChannel, ChannelModule>;
