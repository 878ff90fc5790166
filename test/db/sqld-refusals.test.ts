/**
 * A libSQL server with no connection free, on each runtime that uses one (Node and workerd against
 * sqld). sqld opens at most `--max-concurrent-connections` (4 here) and refuses a request it finds no
 * connection for with 429 after waiting about a second; nothing of that request ran. Other clients
 * hold every connection (read transactions) while the API reads:
 * - held for 1.5 s: the API sends the refused read again and answers 200 once a connection is free;
 * - held past the database deadline (`DATABASE_TIMEOUT_MS`, 2.5 s): 503 with Retry-After, never 500,
 *   and 200 again once the connections are free.
 * The Node API counts the refusals (`gridpulse_db_server_refusals_total`).
 */
import { createClient, type Transaction } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/net.ts";
import { type ApiRuntime, startApiRuntime } from "../support/api-runtimes.ts";

describe.each(["node", "workerd"] as const)(
  "%s against a libSQL server out of connections",
  (name) => {
    let api: ApiRuntime;
    let metricsUrl: string | undefined;
    beforeAll(async () => {
      const metricsPort = await freePort();
      metricsUrl = name === "node" ? `http://127.0.0.1:${metricsPort}/metrics` : undefined;
      api = await startApiRuntime(
        name,
        {
          DATABASE_TIMEOUT_MS: "2500",
          // The API keeps no idle stream of its own: each read opens one, as a cold isolate does.
          DATABASE_KEPT_STREAMS: "0",
          API_METRICS_PORT: String(metricsPort),
          RATE_LIMIT_PER_S: "1000",
          RATE_LIMIT_BURST: "1000",
        },
        { sqldArgs: ["--max-concurrent-connections", "4"] },
      );
    });
    afterAll(async () => {
      await api?.stop();
    });

    /**
     * Holds sqld's connections until `release()`: opens read transactions until the server refuses one,
     * and keeps asking meanwhile, so a connection another client gives back is taken again.
     */
    const holdEveryConnection = async () => {
      const client = createClient({ url: api.databaseUrl });
      const held: Transaction[] = [];
      const take = async () => {
        const tx = await client.transaction("read");
        try {
          await tx.execute("select 1");
          held.push(tx);
          return true;
        } catch {
          tx.close();
          return false;
        }
      };
      while (held.length < 16 && (await take().catch(() => false))) {}
      let holding = true;
      const topping = (async () => {
        while (holding) await take().catch(() => false);
      })();
      return {
        held: () => held.length,
        release: async () => {
          holding = false;
          await topping;
          for (const tx of held) tx.close();
          client.close();
        },
      };
    };

    const refusals = async (): Promise<Record<string, number>> => {
      if (!metricsUrl) return {};
      const text = await (await fetch(metricsUrl)).text();
      const counts: Record<string, number> = {};
      for (const m of text.matchAll(
        /^gridpulse_db_server_refusals_total\{outcome="(\w+)"\} (\d+)/gm,
      ))
        counts[m[1] as string] = Number(m[2]);
      return counts;
    };

    it("sends a refused read again while the deadline allows, else answers 503 with Retry-After", async () => {
      const { key } = await api.tenant("refusals");
      const list = async () => {
        const t0 = performance.now();
        const res = await fetch(`${api.url}/v1/assessments`, {
          headers: { authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        return {
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          ms: Math.round(performance.now() - t0),
        };
      };
      expect((await list()).status).toBe(200);

      // Held for 1.5 s: the read waits, is refused, goes again and succeeds.
      // Read before the hold: the Node API's /metrics reads the database too (market price gauges).
      const before = await refusals();
      let hold = await holdEveryConnection();
      expect(hold.held()).toBeGreaterThan(0);
      const pending = list();
      await new Promise((r) => setTimeout(r, 1500));
      await hold.release();
      const waited = await pending;
      console.log(`${name}: held 1.5 s (${hold.held()} connections):`, waited);
      expect(waited.status).toBe(200);
      if (metricsUrl) {
        const after = await refusals();
        expect((after.retried ?? 0) - (before.retried ?? 0)).toBeGreaterThan(0);
        expect(after.failed ?? 0).toBe(before.failed ?? 0);
      }

      // Held past the deadline: 503 with Retry-After, not the server's 429 as a 500.
      hold = await holdEveryConnection();
      const refused = await list();
      console.log(`${name}: held past the deadline:`, refused);
      expect(refused.status).toBe(503);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(refused.ms).toBeLessThan(8000);
      await hold.release();
      if (metricsUrl) expect((await refusals()).failed ?? 0).toBeGreaterThan(before.failed ?? 0);

      // Free again: answered at once.
      const again = await list();
      expect(again.status).toBe(200);
      if (metricsUrl) {
        // The reads went to the server through the process's read queue, and are counted.
        const text = await (await fetch(metricsUrl)).text();
        const total = (series: string) =>
          Number(
            text
              .split("\n")
              .find((l) => l.startsWith(`${series} `))
              ?.split(" ")[1] ?? 0,
          );
        const requests = total('gridpulse_db_server_requests_total{kind="read"}');
        expect(requests).toBeGreaterThan(0);
        expect(total('gridpulse_db_server_operations_total{kind="read"}')).toBeGreaterThanOrEqual(
          requests,
        );
      }
    }, 90_000);
  },
);
