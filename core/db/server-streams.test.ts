import { describe, expect, it } from "vitest";
import type { ServerExchange, ServerReply } from "./remote-database.ts";
import { answerOf, keptStreams, rewritePipeline } from "./server-streams.ts";

const execute = '{"type":"execute","stmt":{"sql":"select 1","want_rows":true}}';
const oneShot = (requests: string) => `{"requests":[${requests},{"type":"close"}]}`;
const ok = (response: string) => `{"type":"ok","response":${response}}`;
const executed = ok('{"type":"execute","result":{"cols":[],"rows":[],"affected_row_count":0}}');
const autocommit = (yes: boolean) => ok(`{"type":"get_autocommit","is_autocommit":${yes}}`);
const answer = (baton: string | null, results: string[], baseUrl: string | null = null) =>
  `{"baton":${JSON.stringify(baton)},"base_url":${JSON.stringify(baseUrl)},"results":[${results.join(",")}]}`;
const clientAnswer = (results: string[]) => answer(null, [...results, ok('{"type":"close"}')]);

describe("kept streams: the pipeline rewrite", () => {
  it("replaces a one-shot pipeline's close by get_autocommit", () => {
    expect(rewritePipeline(oneShot(execute))).toEqual({
      requests: `${execute},{"type":"get_autocommit"}`,
      closed: 0,
    });
  });

  it("closes the SQL texts the pipeline stored and did not close", () => {
    const stored = (id: number) => `{"type":"store_sql","sql_id":${id},"sql":"select ${id}"}`;
    const body = oneShot(`${stored(1)},${stored(2)},${execute},{"type":"close_sql","sql_id":1}`);
    expect(rewritePipeline(body)).toEqual({
      requests: `${stored(1)},${stored(2)},${execute},{"type":"close_sql","sql_id":1},{"type":"close_sql","sql_id":2},{"type":"get_autocommit"}`,
      closed: 1,
    });
    // A statement's text that looks like a request is inside a JSON string: escaped, not matched.
    const quoted = oneShot(
      '{"type":"execute","stmt":{"sql":"select \'{\\"type\\":\\"store_sql\\"\'"}}',
    );
    expect(rewritePipeline(quoted)?.closed).toBe(0);
  });

  it("reads a new stream's baton written out as null", () => {
    expect(rewritePipeline(`{"baton":null,"requests":[${execute},{"type":"close"}]}`)).toEqual({
      requests: `${execute},{"type":"get_autocommit"}`,
      closed: 0,
    });
  });

  it("leaves alone what is not a one-shot pipeline", () => {
    expect(
      rewritePipeline(`{"baton":"b1","requests":[${execute},{"type":"close"}]}`),
    ).toBeUndefined();
    expect(rewritePipeline(`{"requests":[${execute}]}`)).toBeUndefined();
    expect(rewritePipeline('{"requests":[{"type":"close"}]}')).toBeUndefined();
    expect(rewritePipeline(`{ "requests": [${execute}, {"type":"close"}] }`)).toBeUndefined();
  });
});

describe("kept streams: the answer", () => {
  it("hands the client its results and the close, and keeps a stream out of any transaction", () => {
    expect(answerOf(answer("b2", [executed, autocommit(true)]), 0)).toEqual({
      text: clientAnswer([executed]),
      keep: "b2",
    });
    expect(
      answerOf(answer("b2", [executed, ok('{"type":"close_sql"}'), autocommit(true)]), 1),
    ).toEqual({ text: clientAnswer([executed]), keep: "b2" });
  });

  it("does not keep a stream inside a transaction, moved elsewhere or whose additions failed", () => {
    expect(answerOf(answer("b2", [executed, autocommit(false)]), 0)).toEqual({
      text: clientAnswer([executed]),
      keep: undefined,
      close: "b2",
    });
    const moved = answerOf(answer("b2", [executed, autocommit(true)], "http://replica:8080"), 0);
    expect(moved?.keep).toBeUndefined();
    expect(moved?.close).toBe("b2");
    expect(JSON.parse(moved?.text ?? "")).toEqual({
      baton: null,
      base_url: "http://replica:8080",
      results: [JSON.parse(executed), { type: "ok", response: { type: "close" } }],
    });
    const failedClose = `{"type":"error","error":{"message":"no such SQL","code":"SQL_NOT_FOUND"}}`;
    expect(
      answerOf(answer("b2", [executed, failedClose, autocommit(true)]), 1)?.keep,
    ).toBeUndefined();
  });

  it("reads an answer in another form by parsing it, and declines what is not an answer", () => {
    const spaced = `{ "baton": "b3", "base_url": null, "results": [ ${executed}, ${autocommit(true)} ] }`;
    const read = answerOf(spaced, 0);
    expect(read?.keep).toBe("b3");
    expect(JSON.parse(read?.text ?? "")).toEqual(JSON.parse(clientAnswer([executed])));
    expect(answerOf("not json", 0)).toBeUndefined();
    expect(answerOf(answer("b2", [executed]), 0)).toBeUndefined();
  });
});

/** A server's reply of `text` with `status`. */
const reply = (text: string, status: number): ServerReply => ({
  status,
  statusText: "",
  headers: new Headers({
    "content-type": "application/json",
    "content-length": String(text.length),
  }),
  text,
});

describe("keptStreams", () => {
  /** A server of streams: counts them, answers each pipeline, expires what it is told to. */
  function fakeServer() {
    const sent: { url: string; body: string }[] = [];
    let next = 0;
    const live = new Set<string>();
    const send: ServerExchange = async (call) => {
      const body = call.body ?? "";
      sent.push({ url: call.url, body });
      if (!call.url.endsWith("/pipeline")) return reply("{}", 200);
      const parsed = JSON.parse(body) as { baton?: string; requests: { type: string }[] };
      if (parsed.baton !== undefined && !live.delete(parsed.baton))
        return reply("Received an invalid baton", 400);
      const closing = parsed.requests.at(-1)?.type === "close";
      const baton = closing ? null : `s${++next}`;
      if (baton) live.add(baton);
      const results = parsed.requests.map((r) =>
        r.type === "execute"
          ? executed
          : r.type === "get_autocommit"
            ? autocommit(true)
            : ok(`{"type":"${r.type}"}`),
      );
      return reply(answer(baton, results), 200);
    };
    return { send, sent, live };
  }
  const pipeline = (body: string) =>
    new Request("http://db.test/v2/pipeline", { method: "POST", body });

  it("runs one-shot pipelines on one kept stream and answers as a closed one", async () => {
    const server = fakeServer();
    const fetch = keptStreams(server.send);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(pipeline(oneShot(execute)));
      expect(await res.text()).toBe(clientAnswer([executed]));
      // The server's length was of its own answer, not of the one handed over.
      expect(res.headers.get("content-length")).toBeNull();
      expect(res.headers.get("content-type")).toBe("application/json");
    }
    expect(server.sent.map((s) => s.url)).toEqual(Array(3).fill("http://db.test/v3/pipeline"));
    expect(server.sent.map((s) => JSON.parse(s.body).baton)).toEqual([undefined, "s1", "s2"]);
    expect(server.live.size).toBe(1);
  });

  it("sends a pipeline once more on a new stream when the server no longer knows the kept one", async () => {
    const server = fakeServer();
    let clock = 0;
    const fetch = keptStreams(server.send, { idleMs: 1000, now: () => clock });
    await fetch(pipeline(oneShot(execute)));
    server.live.clear(); // expired or restarted
    const res = await fetch(pipeline(oneShot(execute)));
    expect(await res.text()).toBe(clientAnswer([executed]));
    expect(server.sent.map((s) => JSON.parse(s.body).baton)).toEqual([undefined, "s1", undefined]);
    // Idle past idleMs: not offered, and closed.
    const kept = [...server.live];
    clock += 1001;
    await fetch(pipeline(oneShot(execute)));
    const sentNow = server.sent.slice(3).map((s) => JSON.parse(s.body));
    expect(
      sentNow.find((b) => b.requests.some((r: { type: string }) => r.type === "execute")).baton,
    ).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(kept.some((b) => server.live.has(b))).toBe(false);
  });

  it("keeps at most maxIdle streams: requests past them go as sent, closing their own", async () => {
    const server = fakeServer();
    const fetch = keptStreams(server.send, { maxIdle: 2 });
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => fetch(pipeline(oneShot(execute))).then((r) => r.text())),
      );
      expect(answers).toEqual(Array(6).fill(clientAnswer([executed])));
    }
    expect(server.live.size).toBe(2);
    // Two of each six on kept streams (v3), four as the client sent them (v2, with their close).
    expect(server.sent.filter((s) => s.url.endsWith("/v3/pipeline"))).toHaveLength(6);
    expect(server.sent.filter((s) => s.body === oneShot(execute))).toHaveLength(12);
  });

  it("keeps none with maxIdle 0: the client's own requests", async () => {
    const server = fakeServer();
    const fetch = keptStreams(server.send, { maxIdle: 0 });
    await fetch(pipeline(oneShot(execute)));
    expect(server.sent).toEqual([{ url: "http://db.test/v2/pipeline", body: oneShot(execute) }]);
  });

  it("passes through what it does not rewrite", async () => {
    const server = fakeServer();
    const fetch = keptStreams(server.send);
    const interactive = `{"requests":[${execute}]}`;
    await fetch(pipeline(interactive));
    await fetch(new Request("http://db.test/v2", { method: "GET" }));
    expect(server.sent).toEqual([
      { url: "http://db.test/v2/pipeline", body: interactive },
      { url: "http://db.test/v2", body: "" },
    ]);
  });

  it("passes through for good a server that has no version 3 pipeline", async () => {
    const sent: string[] = [];
    const fetch = keptStreams(async (call) => {
      sent.push(call.url);
      return call.url.endsWith("/v3/pipeline")
        ? reply("not found", 404)
        : reply(answer(null, [executed, ok('{"type":"close"}')]), 200);
    });
    for (let i = 0; i < 2; i++)
      expect(await (await fetch(pipeline(oneShot(execute)))).text()).toBe(clientAnswer([executed]));
    expect(sent).toEqual([
      "http://db.test/v3/pipeline",
      "http://db.test/v2/pipeline",
      "http://db.test/v2/pipeline",
    ]);
  });
});
