/**
 * The event contracts of gridpulse as data: a JSON Schema (draft-07) per message, generated from the
 * zod schemas that validate the messages (one source of truth), and an AsyncAPI 3 document of every
 * topic built from them. The API serves both (`/asyncapi.json`, `/schemas/<name>.json`); a producer
 * can validate or generate code against them. Schemas describe what producers may send (`io: input`:
 * e.g. `ts` as RFC 3339 or epoch milliseconds).
 */
import { z } from "zod";
import { partialAggregateSchema } from "./aggregate.ts";
import { alertTransitionMessageSchema } from "./alert-transition.ts";
import { decodeFailureReasons } from "./decode.ts";
import { marketEventSchema } from "./market-event.ts";
import { requestEventSchema } from "./request-event.ts";
import { deadLetterHeaders, deadLetterSuffix, topics } from "./topics.ts";

type JsonSchema = Record<string, unknown>;

/** zod -> JSON Schema draft-07, without zod's own formats that no validator knows. */
function jsonSchemaOf(schema: z.ZodType, title: string, description: string): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-7",
    io: "input",
    override: (ctx) => {
      const s = ctx.jsonSchema as JsonSchema;
      // `starts_with` is zod's name for a prefix check; the pattern beside it says the same.
      if (s.format === "starts_with") delete s.format;
    },
  }) as JsonSchema;
  return { ...json, title, description };
}

const traceparent = {
  type: "string",
  pattern: "^[\\da-f]{2}-[\\da-f]{32}-[\\da-f]{16}-[\\da-f]{2}$",
  description: "W3C trace context of the span that produced the message",
};

const deadLetterHeadersSchema: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "DeadLetterHeaders",
  description:
    "Headers gridpulse adds to a message copied to `<topic>.dlq`; the original key, value and headers are kept as they were.",
  type: "object",
  properties: {
    [deadLetterHeaders.reason]: {
      type: "string",
      description: `why: one of ${[...decodeFailureReasons, "late_event", "future_timestamp"].join(", ")}`,
    },
    [deadLetterHeaders.error]: { type: "string", description: "what was wrong, for humans" },
    [deadLetterHeaders.sourceTopic]: { type: "string" },
    [deadLetterHeaders.sourcePartition]: { type: "string", pattern: "^\\d+$" },
    [deadLetterHeaders.sourceOffset]: { type: "string", pattern: "^\\d+$" },
    [deadLetterHeaders.failedAt]: {
      type: "string",
      format: "date-time",
      description: "when it was dead-lettered (RFC 3339)",
    },
  },
  required: Object.values(deadLetterHeaders),
};

/** The served JSON Schemas, by file name (`/schemas/<name>.json`). */
export const eventSchemas: Record<string, JsonSchema> = {
  "request-event": jsonSchemaOf(
    requestEventSchema,
    "RequestEvent",
    "One served HTTP request (`telemetry.requests.v1`, key = service). Good for availability means status < 500.",
  ),
  "market-event": jsonSchemaOf(
    marketEventSchema,
    "MarketEvent",
    "A retail price point, subsidy program or regulation (`market.events.v1`, key = `market:carrier` or the program id).",
  ),
  "partial-aggregate": jsonSchemaOf(
    partialAggregateSchema,
    "PartialAggregate",
    "Stage 1's counts and HDR histogram of one (service, route, minute) (`telemetry.aggregates.v1`, key = service); partials of the same minute add up.",
  ),
  "alert-transition": jsonSchemaOf(
    alertTransitionMessageSchema,
    "AlertTransition",
    "A committed change of an alert's phase (`alerts.transitions.v1`, key = fingerprint); deduplicate by id.",
  ),
  "dead-letter-headers": deadLetterHeadersSchema,
};

const payloadOf = (name: string): JsonSchema => {
  const { $schema: _ignored, ...rest } = eventSchemas[name] as JsonSchema;
  return rest;
};

const kafkaKey = (description: string) => ({
  kafka: { key: { type: "string", description }, bindingVersion: "0.5.0" },
});

const messages = {
  RequestEvent: {
    name: "RequestEvent",
    title: "Request telemetry",
    contentType: "application/json",
    headers: {
      type: "object",
      properties: { traceparent },
      description: "optional; the payload's own traceparent wins",
    },
    payload: payloadOf("request-event"),
    bindings: kafkaKey("the event's service"),
  },
  MarketEvent: {
    name: "MarketEvent",
    title: "Energy-market event",
    contentType: "application/json",
    payload: payloadOf("market-event"),
    bindings: kafkaKey("`market:carrier` for prices, the program id for subsidies"),
  },
  PartialAggregate: {
    name: "PartialAggregate",
    title: "Partial aggregate (stage 1 output)",
    contentType: "application/json",
    headers: {
      type: "object",
      properties: {
        traceparent: {
          ...traceparent,
          description: "stage 1 spans of sampled events (repeated header)",
        },
      },
    },
    payload: payloadOf("partial-aggregate"),
    bindings: kafkaKey("the partial's service"),
  },
  AlertTransition: {
    name: "AlertTransition",
    title: "Alert transition",
    contentType: "application/json",
    payload: payloadOf("alert-transition"),
    bindings: kafkaKey("the alert's fingerprint"),
  },
  DeadLetter: {
    name: "DeadLetter",
    title: "Dead letter",
    summary: "An invalid or late message, copied unchanged with the reason in its headers.",
    contentType: "application/octet-stream",
    headers: payloadOf("dead-letter-headers"),
    payload: {
      description: "the original value, byte for byte (may be empty, not UTF-8 or not JSON)",
    },
    bindings: kafkaKey("the original key"),
  },
};

type MessageName = keyof typeof messages;

const channelDefs: {
  id: string;
  topic: string;
  message: MessageName;
  description: string;
  action: "send" | "receive";
  operation: string;
}[] = [
  {
    id: "requests",
    topic: topics.requests,
    message: "RequestEvent",
    description: "Request telemetry from the edge API and other services (stage 1 consumes it).",
    action: "receive",
    operation: "aggregateRequests",
  },
  {
    id: "market",
    topic: topics.market,
    message: "MarketEvent",
    description:
      "Energy-market events from market data producers (the market stage consumes them).",
    action: "receive",
    operation: "storeMarketEvents",
  },
  {
    id: "aggregates",
    topic: topics.aggregates,
    message: "PartialAggregate",
    description: "Stage 1's output, written in Kafka transactions (read committed).",
    action: "send",
    operation: "publishAggregates",
  },
  {
    id: "alertTransitions",
    topic: topics.alertTransitions,
    message: "AlertTransition",
    description: "Alert phase changes for integrations, at least once.",
    action: "send",
    operation: "publishAlertTransitions",
  },
];

/** The AsyncAPI 3.1 document of every topic (names without the deployment's KAFKA_TOPIC_PREFIX). */
export function asyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const c of channelDefs) {
    const key = c.message.charAt(0).toLowerCase() + c.message.slice(1);
    channels[c.id] = {
      address: c.topic,
      description: c.description,
      messages: { [key]: { $ref: `#/components/messages/${c.message}` } },
    };
    operations[c.operation] = {
      action: c.action,
      channel: { $ref: `#/channels/${c.id}` },
      messages: [{ $ref: `#/channels/${c.id}/messages/${key}` }],
    };
    channels[`${c.id}DeadLetters`] = {
      address: `${c.topic}${deadLetterSuffix}`,
      description: `Messages of ${c.topic} that could not be used, with the reason in their headers.`,
      messages: { deadLetter: { $ref: "#/components/messages/DeadLetter" } },
    };
    operations[`${c.operation}DeadLetters`] = {
      action: "send",
      channel: { $ref: `#/channels/${c.id}DeadLetters` },
      messages: [{ $ref: `#/channels/${c.id}DeadLetters/messages/deadLetter` }],
    };
  }
  return {
    asyncapi: "3.1.0",
    info: {
      title: "gridpulse events",
      version,
      description:
        "Kafka topics of gridpulse. JSON, UTF-8, versioned by the topic's suffix; a deployment may prefix every name (KAFKA_TOPIC_PREFIX). Each payload schema is also served alone at /schemas/<name>.json.",
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "127.0.0.1:9092",
        protocol: "kafka",
        description: "the broker `npm start` provisions",
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
