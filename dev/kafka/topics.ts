/**
 * Creates gridpulse's topics (docs/architecture.md, with dead-letter twins) if they do not exist yet.
 * Used by the local broker provisioning and by `npm run kafka:topics` for an existing cluster.
 */
import type { Admin } from "kafkajs";
import { allTopicNames } from "../../core/events/topics.ts";

export interface TopicOptions {
  prefix: string;
  partitions: number;
  replicationFactor?: number;
}

/** Returns the names of the topics it created (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, options: TopicOptions): Promise<string[]> {
  const wanted = allTopicNames(options.prefix);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return [];
  // Waiting for leaders can briefly see "does not host this topic-partition" while the controller
  // propagates new topics (more so when several clients create topics at once): retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor ?? -1,
        })),
      });
      return missing;
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
