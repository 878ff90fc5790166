/**
 * `npm run loadgen -- --rate N --duration S`: publishes realistic RequestEvents to
 * `telemetry.requests.v1` at a steady rate, with a progress line; `--market-rate M` adds M market
 * events per second (prices, some subsidies and regulations) to `market.events.v1`. Finds the broker from KAFKA_BROKERS,
 * `--brokers`, or the local stack that `npm start` is running.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { topicName } from "../core/events/topics.ts";
import { createLogger } from "../core/observability/logger.ts";
import { createKafka, eventProducer } from "../platform/kafka.ts";
import { logProcessWarnings } from "../platform/lifecycle.ts";
import { loadStackConfig, type StackState, stackStateFile } from "./config.ts";
import { createMarketTraffic } from "./loadgen/market.ts";
import { createTraffic } from "./loadgen/traffic.ts";

const usage = `usage: npm run loadgen -- [--rate EVENTS_PER_S] [--duration SECONDS] [--brokers HOST:PORT,...]
                        [--topic-prefix PREFIX] [--error-rate 0.005] [--invalid-rate 0] [--seed N]
                        [--market-rate MARKET_EVENTS_PER_S]`;

function numberArg(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    console.error(
      `--${name} must be a number between ${min} and ${max} (got "${value}")\n${usage}`,
    );
    process.exit(2);
  }
  return parsed;
}

const { values } = parseArgs({
  options: {
    rate: { type: "string" },
    duration: { type: "string" },
    brokers: { type: "string" },
    "topic-prefix": { type: "string" },
    "error-rate": { type: "string" },
    "invalid-rate": { type: "string" },
    seed: { type: "string" },
    "market-rate": { type: "string" },
    help: { type: "boolean" },
  },
  strict: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const rate = numberArg("rate", values.rate, 200, 1, 1_000_000);
const durationS = numberArg("duration", values.duration, 30, 1, 86_400);
const errorRate = numberArg("error-rate", values["error-rate"], 0.005, 0, 1);
const invalidRate = numberArg("invalid-rate", values["invalid-rate"], 0, 0, 1);
const marketRate = numberArg("market-rate", values["market-rate"], 0, 0, 100_000);
const seed = numberArg("seed", values.seed, Date.now() % 2 ** 31, 0, 2 ** 32);

const stack = loadStackConfig(process.env);
const stateFile = stackStateFile(stack.GRIDPULSE_DATA_DIR);
const state: StackState | undefined = existsSync(stateFile)
  ? JSON.parse(readFileSync(stateFile, "utf8"))
  : undefined;
const brokers = values.brokers?.split(",") ?? stack.KAFKA_BROKERS ?? state?.brokers;
if (!brokers) {
  console.error(
    "no Kafka brokers: start the local stack with `npm start`, or set KAFKA_BROKERS / --brokers",
  );
  process.exit(2);
}
const prefix =
  values["topic-prefix"] ??
  (stack.KAFKA_BROKERS ? stack.KAFKA_TOPIC_PREFIX : state?.topicPrefix) ??
  "";
const topic = topicName(prefix, "requests");
const marketTopic = topicName(prefix, "market");

const logger = createLogger({ service: "gridpulse-loadgen", level: "warn" });
logProcessWarnings(logger);
const kafka = createKafka({
  brokers,
  clientId: "gridpulse-loadgen",
  logger,
  logLevel: "error",
});
// Like the API's telemetry producer: a retried send (a partition's leader moving) is never written
// twice, so every event is counted once.
const producer = eventProducer(kafka, { allowAutoTopicCreation: false });
await producer.connect();

const next = createTraffic({ seed, errorRate });
const nextMarket = createMarketTraffic(seed);
const tickMs = 50;
const started = Date.now();
const endAt = started + durationS * 1000;
let sent = 0;
let failed = 0;
let invalid = 0;
let marketSent = 0;
let marketFailed = 0;
let stopped = false;
process.on("SIGINT", () => {
  stopped = true;
});

const progress = () => {
  const elapsedS = (Date.now() - started) / 1000;
  const market = marketRate > 0 ? ` + ${marketSent.toLocaleString("en")} market events` : "";
  const line = `sent ${sent.toLocaleString("en")} events (${invalid} invalid)${market} in ${elapsedS.toFixed(1)} s — ${Math.round(sent / Math.max(elapsedS, 0.001)).toLocaleString("en")}/s, failed ${failed}`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${line}\n`);
};
const progressTimer = setInterval(progress, 1000);

while (!stopped && Date.now() < endAt) {
  const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent - failed;
  if (due > 0) {
    const now = Date.now();
    const messages = Array.from({ length: due }, () => {
      const event = next(now);
      if (invalidRate > 0 && Math.random() < invalidRate) {
        invalid += 1;
        return { key: event.service, value: JSON.stringify({ ...event, status: "oops" }) };
      }
      return { key: event.service, value: JSON.stringify(event) };
    });
    try {
      await producer.send({ topic, messages });
      sent += messages.length;
    } catch (error) {
      failed += messages.length;
      logger.error("send failed", { err: error });
    }
  }
  const marketDue =
    Math.floor(((Date.now() - started) / 1000) * marketRate) - marketSent - marketFailed;
  if (marketDue > 0) {
    const now = Date.now();
    const messages = Array.from({ length: marketDue }, () => {
      const { key, event } = nextMarket(now);
      return { key, value: JSON.stringify(event) };
    });
    try {
      await producer.send({ topic: marketTopic, messages });
      marketSent += messages.length;
    } catch (error) {
      marketFailed += messages.length;
      logger.error("market send failed", { err: error });
    }
  }
  await new Promise((r) => setTimeout(r, tickMs));
}
clearInterval(progressTimer);
progress();
process.stderr.write("\n");
await producer.disconnect();
console.log(
  JSON.stringify({
    topic,
    brokers,
    sent,
    invalid,
    ...(marketRate > 0 ? { marketTopic, marketSent, marketFailed } : {}),
    failed,
    seconds: (Date.now() - started) / 1000,
  }),
);
process.exit(failed + marketFailed > 0 ? 1 : 0);
