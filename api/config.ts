/** Settings of the API on Node, from the environment (validated once at start). */
import { z } from "zod";
import {
  booleanVar,
  databaseUrlVar,
  type EnvSource,
  logLevelVar,
  parseEnv,
  portVar,
  positiveIntVar,
} from "../core/config/env.ts";

export const defaultDatabaseUrl = "file:./data/gridpulse.db";

export const apiConfigSchema = z.object({
  PORT: portVar(8787),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: databaseUrlVar.default(defaultDatabaseUrl),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  DATABASE_MIGRATE_ON_START: booleanVar(true),
  READINESS_TIMEOUT_MS: positiveIntVar(2000, 60_000),
  LOG_LEVEL: logLevelVar,
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const loadApiConfig = (env: EnvSource): ApiConfig => parseEnv("api", apiConfigSchema, env);
