/** `npm run db:migrate`: applies the migrations to DATABASE_URL (embedded file or libSQL server). */

import { redactUrlCredentials } from "../core/observability/logger.ts";
import { applyMigrations } from "../platform/db/migrate.ts";
import { openDatabase } from "../platform/db/open.ts";
import { loadStackConfig } from "./config.ts";

const config = loadStackConfig(process.env);
const started = performance.now();
const { db, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
});
await applyMigrations(db);
close();
console.log(
  `migrations applied to ${redactUrlCredentials(config.DATABASE_URL)} in ${Math.round(performance.now() - started)} ms`,
);
