import { createClient } from "@libsql/client";
import { describe, expect, it, vi } from "vitest";
import { busyRetryCounts, isBusyError, retryBusy, withBusyRetry } from "./busy-retry.ts";

const busy = () =>
  Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });
const noSleep = { sleep: async () => {}, random: () => 0.5 };

describe("busy retry", () => {
  it("recognises BUSY by code, by message and through a cause", () => {
    expect(isBusyError(busy())).toBe(true);
    expect(
      isBusyError(new Error("x", { cause: { message: "SQLite error: database is locked" } })),
    ).toBe(true);
    expect(isBusyError(new Error("UNIQUE constraint failed"))).toBe(false);
    expect(isBusyError(null)).toBe(false);
  });

  it("retries BUSY with growing delays, then gives up; other errors are not retried", async () => {
    const delays: number[] = [];
    let calls = 0;
    const options = {
      retries: 3,
      baseDelayMs: 10,
      sleep: async (ms: number) => void delays.push(ms),
      random: () => 0.5,
    };
    await expect(
      retryBusy(async () => {
        calls++;
        throw busy();
      }, options),
    ).rejects.toThrow(/locked/);
    expect(calls).toBe(4);
    expect(delays).toEqual([10, 20, 40]);
    calls = 0;
    await expect(
      retryBusy(async () => {
        calls++;
        throw new Error("constraint");
      }, options),
    ).rejects.toThrow("constraint");
    expect(calls).toBe(1);
    calls = 0;
    expect(
      await retryBusy(async () => (++calls < 3 ? Promise.reject(busy()) : "ok"), options),
    ).toBe("ok");
  });

  it("logs a retried statement's error without its parameters (they can hold secrets)", async () => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => void lines.push(line);
    // The warning is written at most once a second: this one comes a minute after any before it.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 60_000);
    try {
      // As drizzle words a failed statement: the SQL, then its parameters.
      const failed = Object.assign(
        new Error(
          'Failed query: insert into "webhook_endpoints" values (?, ?)\nparams: whk_1,[{"secret":"whsec_TOPSECRET"}]',
          { cause: busy() },
        ),
        { query: 'insert into "webhook_endpoints" values (?, ?)' },
      );
      let calls = 0;
      await retryBusy(async () => (++calls < 2 ? Promise.reject(failed) : "ok"), {
        ...noSleep,
        retries: 2,
      });
    } finally {
      console.error = original;
      vi.useRealTimers();
    }
    const logged = lines.join("\n");
    expect(logged).toContain("database busy: retrying");
    expect(logged).toContain("webhook_endpoints");
    expect(logged).not.toContain("whsec_TOPSECRET");
  });

  it("wraps a real client: statements run, a locked batch is run again and commits once", async () => {
    const client = createClient({ url: ":memory:" });
    let failNext = 1;
    const flaky = new Proxy(client, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "batch")
          return (...args: Parameters<typeof client.batch>) =>
            failNext-- > 0 ? Promise.reject(busy()) : client.batch(...args);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const db = withBusyRetry(flaky, noSleep);
    await db.execute("create table t (x integer)");
    await db.batch(["insert into t values (1)", "insert into t values (2)"], "write");
    expect((await db.execute("select count(*) as n from t")).rows[0]?.n).toBe(2);
    client.close();
  });

  it("counts every retry and every operation still refused after the last one", async () => {
    const before = busyRetryCounts();
    const options = { retries: 2, ...noSleep };
    let calls = 0;
    expect(
      await retryBusy(async () => (++calls < 2 ? Promise.reject(busy()) : "ok"), options),
    ).toBe("ok");
    await expect(retryBusy(async () => Promise.reject(busy()), options)).rejects.toThrow(/locked/);
    await expect(
      retryBusy(async () => Promise.reject(new Error("constraint")), options),
    ).rejects.toThrow("constraint");
    const after = busyRetryCounts();
    expect(after.retried - before.retried).toBe(1 + 2);
    expect(after.exhausted - before.exhausted).toBe(1);
  });
});
