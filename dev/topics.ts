/**
 * `npm run kafka:topics`: creates gridpulse's topics on the cluster named by KAFKA_BROKERS (for
 * deployments on an existing cluster; `npm start` does this itself for the local broker).
 */
import { allTopicNames } from "../core/events/topics.ts";
import { createLogger } from "../core/observability/logger.ts";
import { createKafka } from "../platform/kafka.ts";
import { loadStackConfig } from "./config.ts";
import { ensureTopics } from "./kafka/topics.ts";

const config = loadStackConfig(process.env);
if (!config.KAFKA_BROKERS) {
  console.error("KAFKA_BROKERS is not set: name the cluster whose topics should be created");
  process.exit(2);
}
const logger = createLogger({ service: "gridpulse-topics", level: "warn" });
const admin = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: "gridpulse-topics",
  logger,
}).admin();
await admin.connect();
const created = await ensureTopics(admin, {
  prefix: config.KAFKA_TOPIC_PREFIX,
  partitions: config.KAFKA_PARTITIONS,
});
await admin.disconnect();
const all = allTopicNames(config.KAFKA_TOPIC_PREFIX);
console.log(
  `created ${created.length} of ${all.length} topics (${created.join(", ") || "all existed"})`,
);
