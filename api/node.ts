/**
 * Node entry point of the API: validated settings, the embedded (or remote) database, migrations,
 * then the same Hono app that runs on Workers.
 */
import { applyMigrations } from "../core/db/migrate.node.ts";
import { openDatabase } from "../core/db/open.node.ts";
import { createLogger } from "../core/observability/logger.ts";
import { exitOnFatal, onShutdown } from "../core/runtime/lifecycle.node.ts";
import { listen } from "../core/runtime/serve.node.ts";
import { createApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";
import { version } from "./version.ts";

const config = loadApiConfig(process.env);
const logger = createLogger({ service: "gridpulse-api", level: config.LOG_LEVEL });
exitOnFatal(logger);

const { db, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
});
if (config.DATABASE_MIGRATE_ON_START) await applyMigrations(db);

const app = createApp({
  database: () => db,
  logger,
  now: Date.now,
  readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
  version,
});
const server = await listen(app.fetch, { port: config.PORT, hostname: config.HOST });
logger.info("api listening", { url: server.url, database: config.DATABASE_URL });

onShutdown({
  logger,
  shutdown: async () => {
    await server.close();
    close();
  },
});
