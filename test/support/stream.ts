/** Runs the real stream worker (`stream/main.ts`) for integration tests, with its own database file. */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokers } from "./kafka.ts";
import { type ServiceProcess, startService } from "./processes.ts";

export interface StreamWorker {
  worker: ServiceProcess;
  /** Consumer group prefix: stages use `<group>-aggregate` and `<group>-evaluate`. */
  group: string;
  databaseUrl: string;
}

export async function startStreamWorker(
  prefix: string,
  options: {
    group?: string;
    databaseUrl?: string;
    env?: Record<string, string>;
    port?: number;
  } = {},
): Promise<StreamWorker> {
  const group = options.group ?? `stream-${randomUUID()}`;
  const databaseUrl =
    options.databaseUrl ??
    `file:${join(mkdtempSync(join(tmpdir(), "gridpulse-stream-db-")), "stream.db")}`;
  const worker = await startService(
    "stream/main.ts",
    {
      KAFKA_BROKERS: brokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      STREAM_CONSUMER_GROUP: group,
      DATABASE_URL: databaseUrl,
      STREAM_SESSION_TIMEOUT_MS: "3000",
      STREAM_MAX_WAIT_MS: "200",
      ...options.env,
    },
    options.port ? { port: options.port } : {},
  );
  return { worker, group, databaseUrl };
}
