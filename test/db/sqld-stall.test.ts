/**
 * A libSQL server that stalls or goes away, on each runtime that uses one (Node and workerd against
 * sqld): frozen (SIGSTOP, connections open and unanswered) while clients write and read, then
 * resumed; stopped, then started again. Every request answers within the database deadline
 * (`DATABASE_TIMEOUT_MS`, 1 s here): writes and reads that need the server 503 with Retry-After,
 * never 500 and never held until the server returns; liveness answers throughout; readiness says
 * 503; within 1 s of the server's return writes succeed again. The timeline is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRuntime, startApiRuntime } from "../support/api-runtimes.ts";
import { atticaApartment } from "../support/homes.ts";

const home = atticaApartment;

describe.each(["node", "workerd"] as const)("%s against a stalled libSQL server", (name) => {
  let api: ApiRuntime;
  beforeAll(async () => {
    api = await startApiRuntime(name, {
      DATABASE_TIMEOUT_MS: "1000",
      READINESS_TIMEOUT_MS: "500",
      // The recovery loop may ask many times: the per-key limit is not what this is about.
      RATE_LIMIT_PER_S: "1000",
      RATE_LIMIT_BURST: "1000",
    });
  });
  afterAll(async () => {
    api?.sqld?.resume();
    await api?.stop();
  });

  it("answers 503 + Retry-After within the deadline while the server is frozen or gone, and recovers at once", async () => {
    const sqld = api.sqld;
    if (!sqld) throw new Error("runtime without its own sqld");
    const { tenantId, key } = await api.tenant("stall");
    // A key per few requests: on workerd the per-key limit is the RATE_LIMITER binding's (a burst of
    // a few), whatever RATE_LIMIT_* say, and the recovery loop may ask many times.
    const keys = [key];
    while (keys.length < 60) keys.push(await api.key(tenantId));
    let calls = 0;
    const headers = () => ({
      authorization: `Bearer ${keys[calls++ % keys.length]}`,
      "content-type": "application/json",
    });
    const started = performance.now();
    const at = () => Math.round(performance.now() - started);
    const timeline: string[] = [];
    type Answer = { what: string; status: number; retryAfter: string | null; ms: number };
    const call = async (what: string, path: string, init: RequestInit = {}): Promise<Answer> => {
      const t0 = performance.now();
      const res = await fetch(`${api.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      const answer = {
        what,
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
        ms: Math.round(performance.now() - t0),
      };
      timeline.push(`${at()} ms: ${what} ${answer.status} in ${answer.ms} ms`);
      return answer;
    };
    const post = () =>
      call("POST /v1/assessments", "/v1/assessments?view=summary", {
        method: "POST",
        headers: headers(),
        body: JSON.stringify(home),
      });
    const list = () => call("GET /v1/assessments", "/v1/assessments", { headers: headers() });

    expect((await post()).status).toBe(201);
    expect((await list()).status).toBe(200);

    for (const fault of ["frozen", "stopped"] as const) {
      timeline.push(`${at()} ms: server ${fault}`);
      if (fault === "frozen") sqld.pause();
      else await sqld.stop();
      const during = await Promise.all([post(), post(), list(), post()]);
      for (const answer of during) {
        expect(answer.status, `${answer.what} while ${fault}`).toBe(503);
        expect(answer.retryAfter).toMatch(/^\d+$/);
        // The deadline (1 s), plus at most one more for a write queued behind a hung one, plus
        // scheduling slack on a loaded machine; never the length of the outage.
        expect(answer.ms, `${answer.what} while ${fault}`).toBeLessThan(4000);
      }
      expect((await call("GET /health/live", "/health/live")).status).toBe(200);
      expect((await call("GET /health/ready", "/health/ready")).status).toBe(503);
      await new Promise((r) => setTimeout(r, 1000));

      const back = performance.now();
      timeline.push(`${at()} ms: server back`);
      if (fault === "frozen") sqld.resume();
      else await sqld.start();
      const back0 = performance.now();
      let recovered: Answer | undefined;
      while (!recovered && performance.now() - back0 < 5000) {
        const answer = await post();
        if (answer.status === 201) recovered = answer;
        else await new Promise((r) => setTimeout(r, 50));
      }
      const recoveryMs = Math.round(performance.now() - back0);
      timeline.push(
        `${at()} ms: first write after the ${fault} server's return: ${recoveryMs} ms (restart ${Math.round(back0 - back)} ms)`,
      );
      expect(recovered?.status).toBe(201);
      expect(recoveryMs).toBeLessThan(1000);
      expect((await list()).status).toBe(200);
      expect((await call("GET /health/ready", "/health/ready")).status).toBe(200);
    }
    console.log(`${name}: ${timeline.join("\n  ")}`);
    // Counted and logged as the server's unavailability, not as internal errors.
    expect(api.output()).not.toMatch(/unhandled error/);
  });
});
