/**
 * The Worker's access log with `LOG_BATCH_MS` (self-hosted workerd, api/platform/worker/batched-console.ts)
 * on real workerd: every request of a concurrent burst gets exactly one complete line on the runtime's
 * output, and requests that answered before their window closed still have their lines written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRuntime, startApiRuntime } from "../support/api-runtimes.ts";

const requests = 40;

/** The access-log lines (JSON objects with msg "request") in `output`, by request id. */
function accessLines(output: string): Map<string, Record<string, unknown>[]> {
  const byId = new Map<string, Record<string, unknown>[]>();
  for (const match of output.matchAll(/\{"ts":[^\n]*\}/g)) {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(match[0]) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (line.msg !== "request" || typeof line.requestId !== "string") continue;
    byId.set(line.requestId, [...(byId.get(line.requestId) ?? []), line]);
  }
  return byId;
}

describe("Worker access log gathered per window (workerd)", () => {
  let api: ApiRuntime;

  beforeAll(async () => {
    api = await startApiRuntime("workerd", {
      LOG_LEVEL: "info",
      LOG_BATCH_MS: "40",
      RATE_LIMIT_PER_S: "1000",
      RATE_LIMIT_BURST: "1000",
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("writes one complete line per request of a concurrent burst", async () => {
    const run = `burst-${Date.now()}`;
    const ids = Array.from({ length: requests }, (_, i) => `${run}-${i}`);
    const statuses = await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${api.url}/no-such-page`, { headers: { "X-Request-Id": id } });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses).toEqual(ids.map(() => 404));

    const deadline = Date.now() + 15_000;
    let lines = accessLines(api.output());
    while (ids.some((id) => !lines.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      lines = accessLines(api.output());
    }
    const missing = ids.filter((id) => !lines.has(id));
    expect(missing).toEqual([]);
    for (const id of ids) {
      const own = lines.get(id) ?? [];
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({
        level: "info",
        service: "gridpulse-api",
        method: "GET",
        status: 404,
      });
    }
  });
});
