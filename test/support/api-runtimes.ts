/**
 * The edge API on both of its runtimes for the HTTP suites: Node (`api/node.ts`) and workerd (through
 * `wrangler dev`, the same Worker entry point as production), each against its own real libSQL server
 * (sqld), migrated from Node. Same tests, same expectations.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiKeys } from "../../core/db/schema/index.ts";
import { createTenantWithAdminKey, prepareApiKey } from "../../core/tenants/tenants.service.ts";
import { freePort } from "../../dev/net.ts";
import { type SqldServer, startSqld } from "../../dev/sqld.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { repoRoot, startCommand, startService } from "./processes.ts";

export type RuntimeName = "node" | "workerd" | "embedded";

export interface ApiRuntime {
  name: RuntimeName;
  url: string;
  /** The runtime's libSQL server (sqld), for seeding shared data such as market prices. */
  databaseUrl: string;
  /** That server itself (not for the embedded runtime): to stop, freeze or restart it. */
  sqld?: SqldServer;
  /** A fresh tenant and its admin key, created directly in this runtime's database. */
  tenant(name?: string): Promise<{ tenantId: string; key: string; keyId: string }>;
  /**
   * Another admin key of `tenantId`, minted directly in the database: suites that make more requests
   * per tenant than the per-key burst allows spread them over several keys.
   */
  key(tenantId: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

async function migratedSqld(args: string[] = []): Promise<SqldServer> {
  const sqld = await startSqld({ args });
  const { db, close } = await openDatabase({ url: sqld.url });
  await applyMigrations(db);
  close();
  return sqld;
}

/**
 * One database handle per runtime for the suites' own writes (tenants, keys), opened at first use:
 * its write queue sends them to sqld one group at a time, as the API does. A client per write (a
 * hundred keys minted at once) is the pattern sqld's own lock queue mishandles: transactions refused,
 * or its workers spinning on the lock with nothing committed.
 */
function suiteDatabase(database: { url: string }) {
  let opened: ReturnType<typeof openDatabase> | undefined;
  return {
    db: async () => {
      opened ??= openDatabase(database);
      return (await opened).db;
    },
    close: async () => {
      if (opened) (await opened).close();
      opened = undefined;
    },
  };
}

type SuiteDatabase = ReturnType<typeof suiteDatabase>;

function tenantFactory(database: SuiteDatabase) {
  return async (name = "Test Tenant") => {
    const { tenantId, apiKey } = await createTenantWithAdminKey(await database.db(), {
      name,
      nowMs: Date.now(),
    });
    return { tenantId, key: apiKey.key, keyId: apiKey.row.id };
  };
}

function keyFactory(database: SuiteDatabase) {
  return async (tenantId: string) => {
    const minted = await prepareApiKey({
      tenantId,
      name: "suite key",
      scopes: ["admin"],
      nowMs: Date.now(),
    });
    await (await database.db()).insert(apiKeys).values(minted.row);
    return minted.key;
  };
}

/** Settings both runtimes share in the suites (per-key limit: a burst of 5, as in the test Worker binding). */
export const sharedApiEnv = {
  SERVICE_NAME: "edge-api",
  RATE_LIMIT_PER_S: "1",
  RATE_LIMIT_BURST: "5",
  BODY_LIMIT_BYTES: "65536",
  AUTH_CACHE_TTL_MS: "0",
  CORS_ORIGINS: "https://app.example.com",
};

/** The Node API on an embedded libSQL file (its default database), migrated at start. */
export async function startEmbeddedApiRuntime(
  env: Record<string, string> = {},
): Promise<ApiRuntime> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-embedded-"));
  const database = { url: `file:${join(dir, "api.db")}` };
  const { db, close } = await openDatabase(database);
  await applyMigrations(db);
  close();
  const api = await startService("api/node.ts", {
    API_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: "warn",
    ...sharedApiEnv,
    DATABASE_URL: database.url,
    ...env,
  });
  const suite = suiteDatabase(database);
  return {
    name: "embedded",
    url: api.url,
    databaseUrl: database.url,
    tenant: tenantFactory(suite),
    key: keyFactory(suite),
    output: api.output,
    stop: async () => {
      await suite.close();
      await api.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startApiRuntime(
  name: RuntimeName,
  env: Record<string, string> = {},
  options: { sqldArgs?: string[] } = {},
): Promise<ApiRuntime> {
  const sqld = await migratedSqld(options.sqldArgs);
  const suite = suiteDatabase(sqld);
  const allEnv = { ...sharedApiEnv, DATABASE_URL: sqld.url, ...env };
  if (name === "node") {
    const api = await startService("api/node.ts", {
      API_METRICS_PORT: String(await freePort()),
      DATABASE_MIGRATE_ON_START: "false",
      LOG_LEVEL: "warn",
      ...allEnv,
    });
    return {
      name,
      url: api.url,
      databaseUrl: sqld.url,
      sqld,
      tenant: tenantFactory(suite),
      key: keyFactory(suite),
      output: api.output,
      stop: async () => {
        await suite.close();
        await api.stop("SIGTERM");
        await sqld.dispose();
      },
    };
  }
  const port = await freePort();
  const vars = Object.entries(allEnv).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const worker = await startCommand(
    join(repoRoot, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--config",
      "test/support/wrangler.test.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      join(sqld.dataDir, "wrangler-state"),
      "--show-interactive-dev-session=false",
      ...vars,
    ],
    {
      env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      url: `http://127.0.0.1:${port}`,
      readyPath: "/health/live",
      readyTimeoutMs: 90_000,
    },
  );
  return {
    name,
    url: worker.url,
    databaseUrl: sqld.url,
    sqld,
    tenant: tenantFactory(suite),
    key: keyFactory(suite),
    output: worker.output,
    stop: async () => {
      await suite.close();
      await worker.stop();
      await sqld.dispose();
    },
  };
}
