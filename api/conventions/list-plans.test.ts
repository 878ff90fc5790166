/**
 * Every list endpoint reads its page from an index, in the page's order: SQLite's plan for the
 * page's select names an index and no temporary B-tree (a sort of the tenant's matching rows before
 * the limit; a sort of ties on the time column alone cost about a third of a small list's query on
 * the embedded file). The plans are taken from the statements the routes really run.
 */
import { type Client, createClient } from "@libsql/client";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../core/db/database.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createHarness, type Harness } from "../testing/harness.ts";

const keys = {
  p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
};

/** The selects with an ORDER BY that a request ran, with their plans. */
interface Planned {
  sql: string;
  plan: string;
}

let h: Harness;
let key: string;
let subscriberToken: string;
let webhookId: string;
let client: Client;
const statements: string[] = [];

beforeAll(async () => {
  client = createClient({ url: ":memory:" });
  const recording = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "execute")
        return (stmt: string | { sql: string }, args?: unknown) => {
          statements.push(typeof stmt === "string" ? stmt : stmt.sql);
          return (value as Client["execute"]).call(target, stmt as never, args as never);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const db = createDatabase(recording);
  await applyMigrations(db);
  h = await createHarness({ database: db });
  ({ key } = await h.tenant());
  const webhook = await h.call("/v1/webhooks", key, {
    method: "POST",
    json: { url: "https://hooks.example.com/gridpulse" },
  });
  webhookId = ((await webhook.json()) as { id: string }).id;
  const token = await h.call("/v1/subscriber-tokens", key, {
    method: "POST",
    json: { name: "phone" },
  });
  subscriberToken = ((await token.json()) as { token: string }).token;
  const subscribed = await h.call("/v1/subscriber/subscriptions", subscriberToken, {
    method: "POST",
    json: { endpoint: "https://fcm.googleapis.com/fcm/send/device-1", keys, filters: {} },
  });
  expect(subscribed.status).toBe(201);
});

async function plansOf(path: string, credentials: string): Promise<Planned[]> {
  statements.length = 0;
  const res = await h.call(path, credentials);
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  const pages = statements.filter((s) => /^\s*select\b/i.test(s) && /\border by\b/i.test(s));
  const planned: Planned[] = [];
  for (const sql of pages) {
    const placeholders = sql.match(/\?/g)?.length ?? 0;
    const { rows } = await client.execute({
      sql: `explain query plan ${sql}`,
      args: new Array<null>(placeholders).fill(null),
    });
    planned.push({ sql, plan: rows.map((r) => String(r.detail)).join(" | ") });
  }
  return planned;
}

const lists = [
  "/v1/api-keys",
  "/v1/api-keys?include=revoked",
  "/v1/slos",
  "/v1/alert-rules",
  "/v1/silences?expired=true",
  "/v1/alerts",
  "/v1/alerts?status=active",
  "/v1/alerts/history",
  "/v1/webhooks",
  "/v1/webhooks/{webhook}/attempts",
  "/v1/webhooks/{webhook}/messages",
  "/v1/push/subscriptions",
  "/v1/subscriber-tokens",
  "/v1/market/events",
  "/v1/assessments",
];

describe("list query plans", () => {
  it.each(lists)("%s reads its page from an index in order", async (template) => {
    const planned = await plansOf(template.replace("{webhook}", webhookId), key);
    expect(planned.length, "the page's select").toBeGreaterThan(0);
    for (const { sql, plan } of planned) {
      expect(plan, sql).toMatch(/USING (COVERING )?INDEX/);
      expect(plan, sql).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("a subscriber's own subscriptions come from an index in order", async () => {
    const planned = await plansOf("/v1/subscriber/subscriptions", subscriberToken);
    expect(planned.length).toBeGreaterThan(0);
    for (const { sql, plan } of planned) {
      expect(plan, sql).toMatch(/push_subscriptions_subscriber_idx/);
      expect(plan, sql).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("current silences are found by their end and sorted: only the tenant's unexpired ones", async () => {
    // Expired silences stay listed under ?expired=true; walking the creation order for the current
    // ones would read every expired one first, so the plan takes the (tenant, end) range and sorts
    // what is left, a handful of rows.
    const planned = await plansOf("/v1/silences", key);
    expect(planned.length).toBeGreaterThan(0);
    for (const { sql, plan } of planned)
      expect(plan, sql).toMatch(/silences_tenant_idx \(tenant_id=\? AND ends_at_ms>\?\)/);
  });
});
