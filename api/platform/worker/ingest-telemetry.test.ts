import { describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../../core/events/request-event.ts";
import { silentLogger } from "../../../core/observability/logger.ts";
import { ingestTelemetry } from "./ingest-telemetry.ts";

const event = (id: string): RequestEventInput => ({
  id,
  ts: 1_795_000_000_000,
  service: "edge-api",
  route: "/v1/me",
  method: "GET",
  status: 200,
  durationMs: 1,
});

function waitUntilCollector() {
  const pending: Promise<unknown>[] = [];
  return {
    ctx: { waitUntil: (p: Promise<unknown>) => pending.push(p) },
    settle: () => Promise.all(pending),
  };
}

describe("ingestTelemetry (Workers)", () => {
  it("sends one authenticated batch per flush window through waitUntil", async () => {
    const posts: { auth: string | null; ids: string[] }[] = [];
    const sink = ingestTelemetry({
      url: "https://stream.example/v1/ingest/requests",
      token: "token-token-token-1",
      logger: silentLogger,
      flushDelayMs: 5,
      fetch: async (_url, init) => {
        const body = JSON.parse(String(init?.body)) as { events: RequestEventInput[] };
        posts.push({
          auth: new Headers(init?.headers).get("authorization"),
          ids: body.events.map((e) => e.id),
        });
        return new Response(null, { status: 202 });
      },
    });
    const { ctx, settle } = waitUntilCollector();
    sink.record(event("a"), ctx);
    sink.record(event("b"), ctx);
    await settle();
    sink.record(event("c"), ctx);
    await settle();
    expect(posts).toEqual([
      { auth: "Bearer token-token-token-1", ids: ["a", "b"] },
      { auth: "Bearer token-token-token-1", ids: ["c"] },
    ]);
    expect(sink.totals).toEqual({ delivered: 3, droppedBufferFull: 0, droppedSendFailed: 0 });
  });

  it("counts undeliverable events (non-2xx, network errors, full buffer)", async () => {
    let calls = 0;
    const sink = ingestTelemetry({
      url: "https://stream.example/v1/ingest/requests",
      token: "token-token-token-1",
      logger: silentLogger,
      flushDelayMs: 1,
      maxBuffer: 2,
      fetch: async () => {
        calls += 1;
        if (calls === 1) return new Response("no", { status: 503 });
        throw new Error("connection reset");
      },
    });
    const { ctx, settle } = waitUntilCollector();
    for (const id of ["a", "b", "c"]) sink.record(event(id), ctx);
    await settle();
    sink.record(event("d"), ctx);
    await settle();
    expect(sink.totals).toEqual({ delivered: 0, droppedBufferFull: 1, droppedSendFailed: 3 });
  });
});
