/**
 * API conventions on both runtimes (Node and workerd, each against its own sqld): Idempotency-Key
 * under 20 concurrent requests with one key, one keyset pagination walked to the end of every list
 * while rows are inserted, per-tenant caps under concurrent creates, IETF RateLimit fields, Location,
 * HTTP caching (ETag, 304, HEAD, Cache-Control of errors), conditional PUT/PATCH/DELETE (412), bodyless
 * POSTs, and RFC 6750's 400 and 401.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateVapidKeys } from "../../core/notify/vapid.ts";
import { type ApiRuntime, type RuntimeName, startApiRuntime } from "../support/api-runtimes.ts";
import { atticaApartment } from "../support/homes.ts";
import { rawConnection } from "../support/raw-http.ts";

const runtimes: RuntimeName[] = ["node", "workerd"];
const CAP = 20;

const home = atticaApartment;
const p256dh = (await generateVapidKeys()).publicKey;
const auth = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");

/** A body per list that creates one more item of it (`i` makes it distinct where that matters). */
const lists: { name: string; path: string; listPath: string; body: (i: number) => unknown }[] = [
  { name: "assessments", path: "/v1/assessments", listPath: "/v1/assessments", body: () => home },
  {
    name: "api-keys",
    path: "/v1/api-keys",
    listPath: "/v1/api-keys",
    body: (i) => ({ name: `key ${i}`, scopes: ["read"] }),
  },
  {
    name: "slos",
    path: "/v1/slos",
    listPath: "/v1/slos",
    body: (i) => ({
      name: `slo ${i}`,
      service: "edge-api",
      sli: { kind: "availability" },
      objective: 0.999,
      window: { kind: "rolling", days: 30 },
    }),
  },
  {
    name: "alert-rules",
    path: "/v1/alert-rules",
    listPath: "/v1/alert-rules",
    body: (i) => ({
      kind: "market_price",
      name: `rule ${i}`,
      severity: "ticket",
      labels: {},
      annotations: {},
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
    }),
  },
  {
    name: "silences",
    path: "/v1/silences",
    listPath: "/v1/silences",
    body: () => ({
      matchers: [{ name: "severity", type: "=", value: "ticket" }],
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  },
  {
    name: "webhooks",
    path: "/v1/webhooks",
    listPath: "/v1/webhooks",
    body: (i) => ({ url: `https://hooks.example.com/h${i}`, format: "alertmanager" }),
  },
  {
    name: "push-subscriptions",
    path: "/v1/push/subscriptions",
    listPath: "/v1/push/subscriptions",
    body: (i) => ({
      endpoint: `https://fcm.googleapis.com/fcm/send/conventions-${i}-${crypto.randomUUID()}`,
      expirationTime: null,
      keys: { p256dh, auth },
    }),
  },
];

function call(
  api: ApiRuntime,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${key}`, ...headers } };
  if (body !== undefined) {
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(`${api.url}${path}`, init);
}

/** Asks for the identity encoding (fetch offers gzip and deflate unless told). */
const identity = { "Accept-Encoding": "identity" };

/** Keys of one tenant handed out in turn: each stays within the per-key burst of the suites (5). */
async function keyPool(api: ApiRuntime, tenantId: string, size: number) {
  const keys = await Promise.all(Array.from({ length: size }, () => api.key(tenantId)));
  let next = 0;
  return () => keys[next++ % keys.length] as string;
}

/** The id of a created item, after checking its status (and, for a 201, its `Location`). */
async function created(res: Response, location: string | null, status = 201): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(status);
  const body = (await res.json()) as { id?: string; messageId?: string };
  const id = body.id ?? body.messageId;
  if (typeof id !== "string") throw new Error(`no id in ${JSON.stringify(body)}`);
  if (location !== null) expect(res.headers.get("location")).toBe(`${location}/${id}`);
  return id;
}

/** A list to walk: how to add its `i`-th item (answering its id), where it is listed and as whom. */
interface Walk {
  create(i: number): Promise<string>;
  listPath: string;
  listKey(): string;
}
type WalkCase = { name: string; prepare(api: ApiRuntime, key: () => string): Promise<Walk> };

const walks: WalkCase[] = [
  ...lists.map(
    (list): WalkCase => ({
      name: list.name,
      prepare: async (api, key) => ({
        create: async (i) =>
          created(await call(api, "POST", list.path, key(), list.body(i)), list.path),
        listPath: list.listPath,
        listKey: key,
      }),
    }),
  ),
  {
    name: "subscriber-tokens",
    prepare: async (api, key) => ({
      create: async (i) =>
        created(
          await call(api, "POST", "/v1/subscriber-tokens", key(), { name: `link ${i}` }),
          "/v1/subscriber-tokens",
        ),
      listPath: "/v1/subscriber-tokens",
      listKey: key,
    }),
  },
  {
    // A subscriber token walks its own push subscriptions.
    name: "subscriber-subscriptions",
    prepare: async (api, key) => {
      const res = await call(api, "POST", "/v1/subscriber-tokens", key(), {
        name: "walker",
        maxSubscriptions: 50,
      });
      expect(res.status).toBe(201);
      const { token } = (await res.json()) as { token: string };
      const path = "/v1/subscriber/subscriptions";
      return {
        create: async (i) =>
          created(
            await call(api, "POST", path, token, {
              endpoint: `https://fcm.googleapis.com/fcm/send/walk-${i}-${crypto.randomUUID()}`,
              expirationTime: null,
              keys: { p256dh, auth },
            }),
            path,
          ),
        listPath: path,
        listKey: () => token,
      };
    },
  },
  {
    // Test sends queue outbox messages of the endpoint (202: nothing to locate).
    name: "webhook-messages",
    prepare: async (api, key) => {
      const endpoint = await created(
        await call(api, "POST", "/v1/webhooks", key(), {
          url: "https://hooks.example.com/walk",
          format: "gridpulse",
        }),
        "/v1/webhooks",
      );
      const path = `/v1/webhooks/${endpoint}`;
      return {
        create: async () => created(await call(api, "POST", `${path}/test`, key()), null, 202),
        listPath: `${path}/messages`,
        listKey: key,
      };
    },
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(runtimes)("API conventions on %s", (runtime) => {
  let api: ApiRuntime;
  beforeAll(async () => {
    api = await startApiRuntime(runtime, {
      WEBHOOK_ENDPOINTS_MAX: String(CAP),
      PUSH_SUBSCRIPTIONS_MAX: String(CAP),
      // One subscriber token creates 14 subscriptions and reads ~6 pages in the walk.
      SUBSCRIBER_RATE_LIMIT_BURST: "100",
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("Idempotency-Key: 20 concurrent requests with one key create one assessment; the rest replay it", async () => {
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 100);
    const idempotencyKey = crypto.randomUUID();
    const send = (body: unknown = home) =>
      call(api, "POST", "/v1/assessments", key(), body, { "Idempotency-Key": idempotencyKey });
    // Each client retries a 409 (still in flight) as its Retry-After asks, as an SDK would.
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const res = await send();
          if (res.status !== 409) return res;
          const body = (await res.json()) as { error: { code: string; message: string } };
          expect(body.error.code).toBe("conflict");
          expect(body.error.message).toMatch(/in progress/);
          await sleep(100);
        }
        throw new Error("the key stayed in flight");
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    const originals = answers.filter((r) => r.headers.get("idempotent-replayed") !== "true");
    expect(originals).toHaveLength(1);
    const id = (JSON.parse(bodies[0] as string) as { id: string }).id;
    for (const res of answers) expect(res.headers.get("location")).toBe(`/v1/assessments/${id}`);

    // One assessment stored, whatever the replays.
    const list = await call(api, "GET", "/v1/assessments?limit=500", key());
    const listed = (await list.json()) as { data: { id: string }[] };
    expect(listed.data.map((a) => a.id)).toEqual([id]);

    // Later: the same answer again; another body with the key: 422 naming the conflict.
    const again = await send();
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(bodies[0]);
    const other = await send({ ...home, heatedFloorAreaM2: 120 });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe(
      "idempotency_key_reused",
    );
    // Keys are per tenant: another tenant's request with the same key runs.
    const stranger = await api.tenant();
    const theirs = await call(api, "POST", "/v1/assessments", stranger.key, home, {
      "Idempotency-Key": idempotencyKey,
    });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    // A key that is not printable ASCII is a 400.
    const bad = await call(api, "POST", "/v1/assessments", stranger.key, home, {
      "Idempotency-Key": " ",
    });
    expect(bad.status).toBe(400);
  });

  it("replays the answer of other POSTs too, Location included", async () => {
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 4);
    const headers = { "Idempotency-Key": `k-${crypto.randomUUID()}` };
    const body = lists.find((l) => l.name === "silences")?.body(0);
    const first = await call(api, "POST", "/v1/silences", key(), body, headers);
    expect(first.status).toBe(201);
    const second = await call(api, "POST", "/v1/silences", key(), body, headers);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(await second.text()).toBe(await first.text());
  });

  it.each(walks)(
    "pagination walks $name to the end under concurrent inserts: no duplicate, no gap",
    async (list) => {
      const { tenantId } = await api.tenant();
      const key = await keyPool(api, tenantId, 30);
      const walk = await list.prepare(api, key);
      let made = 0;
      const create = () => walk.create(made++);
      const before: string[] = [];
      for (let i = 0; i < 11; i++) before.push(await create());
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `limit=3${cursor ? `&cursor=${cursor}` : ""}`;
        const [res] = await Promise.all([
          call(api, "GET", `${walk.listPath}?${query}`, walk.listKey()),
          pages < 3 ? create() : Promise.resolve(""),
        ]);
        expect(res.status).toBe(200);
        const page = (await res.json()) as {
          data: { id: string }[];
          hasMore: boolean;
          nextCursor: string | null;
        };
        expect(page.data.length).toBeLessThanOrEqual(3);
        expect(page.hasMore).toBe(page.nextCursor !== null);
        seen.push(...page.data.map((d) => d.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 50);
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
      // The rows present at the start appear in creation order reversed (newest first).
      const order = seen.filter((id) => before.includes(id));
      expect(order).toEqual([...before].reverse());
    },
  );

  it("rejects a cursor the API did not issue and a limit above 500", async () => {
    const { key } = await api.tenant();
    const bad = await call(api, "GET", "/v1/silences?cursor=not*a*cursor", key);
    expect(bad.status).toBe(400);
    const big = await call(api, "GET", "/v1/alert-rules?limit=501", key);
    expect(big.status).toBe(400);
  });

  it.each([
    ["webhooks", "/v1/webhooks"],
    ["push-subscriptions", "/v1/push/subscriptions"],
  ])("caps %s per tenant, also under concurrent creates", async (name, path) => {
    const list = lists.find((l) => l.name === name);
    if (!list) throw new Error(name);
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 12);
    let n = 0;
    const answers = await Promise.all(
      Array.from({ length: CAP + 5 }, () => call(api, "POST", path, key(), list.body(n++))),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(CAP);
    // Top up one at a time: exactly CAP are kept, the next is a 409 naming the cap.
    let refused: Response | undefined;
    for (let i = 0; i < CAP + 1 && !refused; i++) {
      const res = await call(api, "POST", path, key(), list.body(n++));
      if (res.status === 409) refused = res;
      else expect(res.status).toBe(201);
    }
    expect(refused).toBeDefined();
    const error = (await refused?.json()) as { error: { message: string; details: unknown } };
    expect(error.error.message).toMatch(/the most allowed/);
    expect(error.error.details).toMatchObject({ limit: CAP });
    const all = (await (await call(api, "GET", `${path}?limit=500`, key())).json()) as {
      data: unknown[];
    };
    expect(all.data).toHaveLength(CAP);
  });

  it("answers If-None-Match with 304 on single resources, lists and market prices", async () => {
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 4);
    const created = await call(api, "POST", "/v1/silences", key(), lists[4]?.body(0));
    const location = created.headers.get("location") as string;
    for (const path of [location, "/v1/silences", "/v1/market/prices"]) {
      const first = await call(api, "GET", path, key(), undefined, identity);
      expect(first.status, path).toBe(200);
      const tag = first.headers.get("etag");
      // Strong: the digest of the identity-encoded body.
      expect(tag, path).toMatch(/^"[0-9a-f]{16}"$/);
      expect(first.headers.get("cache-control"), path).toBe(
        path === "/v1/market/prices" ? "public, max-age=60" : "private, no-cache",
      );
      const again = await call(api, "GET", path, key(), undefined, {
        ...identity,
        "If-None-Match": tag as string,
      });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("etag")).toBe(tag);
      expect(again.headers.get("x-request-id")).toBeTruthy();
      const other = await call(api, "GET", path, key(), undefined, { "If-None-Match": 'W/"nope"' });
      expect(other.status, path).toBe(200);
    }
    // A change gives a new tag: the old one no longer matches.
    const before = (await call(api, "GET", "/v1/silences", key())).headers.get("etag") as string;
    await call(api, "DELETE", location, key());
    const after = await call(api, "GET", "/v1/silences", key(), undefined, {
      "If-None-Match": before,
    });
    expect(after.status).toBe(200);
  });

  it("answers HEAD as GET: the same ETag and Cache-Control, 304 for a matching If-None-Match", async () => {
    const { tenantId } = await api.tenant();
    for (const [path, policy] of [
      ["/v1/me", "private, no-cache"],
      ["/v1/market/prices", "public, max-age=60"],
    ]) {
      // One key per path: /v1/me shows the calling key.
      const pathKey = await api.key(tenantId);
      const key = () => pathKey;
      const got = await call(api, "GET", path as string, key(), undefined, identity);
      const tag = got.headers.get("etag") as string;
      expect(tag, path).toMatch(/^"[0-9a-f]{16}"$/);
      const head = await call(api, "HEAD", path as string, key(), undefined, identity);
      expect(head.status, path).toBe(200);
      expect(await head.text()).toBe("");
      expect(head.headers.get("etag"), path).toBe(tag);
      expect(head.headers.get("cache-control"), path).toBe(policy);
      const again = await call(api, "HEAD", path as string, key(), undefined, {
        ...identity,
        "If-None-Match": tag,
      });
      expect(again.status, path).toBe(304);
      expect(again.headers.get("etag"), path).toBe(tag);
      expect(again.headers.get("cache-control"), path).toBe(policy);
    }
  });

  it("gives errors Cache-Control: no-store, never the 200's policy", async () => {
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 4);
    const ok = await call(api, "GET", "/v1/market/prices", key());
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("public, max-age=60");
    for (const path of [
      "/v1/market/prices?carrier=bogus",
      "/v1/slos/slo_0000000000000000",
      "/v1/nothing-here",
    ]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await call(api, method, path, key());
        expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(res.headers.get("cache-control"), `${method} ${path}`).toBe("no-store");
        expect(res.headers.get("etag"), `${method} ${path}`).toBeNull();
      }
    }
  });

  it("gives a 304 the Vary and ETag its compressed 200 carries", async () => {
    const { tenantId } = await api.tenant();
    const made = await call(api, "POST", "/v1/assessments", await api.key(tenantId), home);
    expect(made.status).toBe(201);
    const location = made.headers.get("location") as string;
    for (const path of [location, "/v1/me"]) {
      // One key per path: /v1/me shows the calling key.
      const pathKey = await api.key(tenantId);
      const key = () => pathKey;
      const gzip = { "Accept-Encoding": "gzip" };
      const ok = await call(api, "GET", path, key(), undefined, gzip);
      expect(ok.status, path).toBe(200);
      const tag = ok.headers.get("etag") as string;
      // Compressed (on workerd by the runtime, whatever the size): the weak tag.
      if (ok.headers.get("content-encoding") === "gzip") expect(tag, path).toMatch(/^W\//);
      if (runtime === "node") expect(ok.headers.get("vary"), path).toMatch(/accept-encoding/i);
      const again = await call(api, "GET", path, key(), undefined, {
        ...gzip,
        "If-None-Match": tag,
      });
      expect(again.status, path).toBe(304);
      expect(again.headers.get("vary"), path).toBe(ok.headers.get("vary"));
      expect(again.headers.get("etag"), path).toBe(tag);
    }
    // The full assessment compressed: the identity answer's tag, weakened (on workerd by the Worker,
    // from the client's Accept-Encoding in request.cf).
    const key = await api.key(tenantId);
    const plain = await call(api, "GET", location, key, undefined, identity);
    const zipped = await call(api, "GET", location, key, undefined, { "Accept-Encoding": "gzip" });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(plain.headers.get("etag")).toMatch(/^"[0-9a-f]{16}"$/);
    expect(zipped.headers.get("etag")).toBe(`W/${plain.headers.get("etag")}`);
  });

  it("evaluates If-Match and If-None-Match on PUT, PATCH and DELETE: 412 changes nothing", async () => {
    const { tenantId } = await api.tenant();
    const key = await keyPool(api, tenantId, 12);
    const slo = lists.find((l) => l.name === "slos")?.body(0) as Record<string, unknown>;
    const made = await call(api, "POST", "/v1/slos", key(), slo);
    const path = made.headers.get("location") as string;
    const read = async () => {
      const res = await call(api, "GET", path, key(), undefined, identity);
      return { status: res.status, tag: res.headers.get("etag") as string, body: await res.text() };
    };
    const before = await read();
    expect(before.tag).toMatch(/^"[0-9a-f]{16}"$/);
    const changed = { ...slo, objective: 0.95 };
    for (const headers of [
      { "If-Match": '"nope"' },
      { "If-Match": `W/${before.tag}` },
      { "If-None-Match": "*" },
      { "If-None-Match": before.tag },
    ] as Record<string, string>[]) {
      for (const [method, body] of [
        ["PUT", changed],
        ["DELETE", undefined],
      ] as const) {
        const res = await call(api, method, path, key(), body, headers);
        const where = `${method} ${JSON.stringify(headers)}`;
        expect(res.status, where).toBe(412);
        expect(((await res.json()) as { error: { code: string } }).error.code, where).toBe(
          "precondition_failed",
        );
      }
    }
    expect(await read()).toEqual(before);
    const malformed = await call(api, "PUT", path, key(), changed, { "If-Match": "nope" });
    expect(malformed.status).toBe(400);
    const put = await call(api, "PUT", path, key(), changed, { "If-Match": before.tag });
    expect(put.status).toBe(200);
    const after = await read();
    expect(after.tag).not.toBe(before.tag);
    expect(
      (await call(api, "DELETE", path, key(), undefined, { "If-Match": before.tag })).status,
    ).toBe(412);
    expect(
      (await call(api, "DELETE", path, key(), undefined, { "If-Match": after.tag })).status,
    ).toBe(204);
    expect((await call(api, "DELETE", path, key(), undefined, { "If-Match": "*" })).status).toBe(
      404,
    );
    // PATCH likewise, on a webhook endpoint.
    const hook = await call(api, "POST", "/v1/webhooks", key(), {
      url: "https://hooks.example.com/conditional",
    });
    const hookPath = hook.headers.get("location") as string;
    const hookTag = (await call(api, "GET", hookPath, key(), undefined, identity)).headers.get(
      "etag",
    ) as string;
    const stale = await call(
      api,
      "PATCH",
      hookPath,
      key(),
      { description: "x" },
      { "If-Match": '"old"' },
    );
    expect(stale.status).toBe(412);
    const patched = await call(
      api,
      "PATCH",
      hookPath,
      key(),
      { description: "x" },
      {
        "If-Match": hookTag,
      },
    );
    expect(patched.status).toBe(200);
  });

  it("takes a POST without Content-Length or Transfer-Encoding as bodyless; a chunked non-JSON body is 415", async () => {
    const { key } = await api.tenant();
    const host = new URL(api.url).host;
    const send = async (head: string, body = "") => {
      const conn = await rawConnection(api.url);
      try {
        await conn.write(
          `POST /v1/alerts/0123456789abcdef/acknowledge HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\n${head}Connection: close\r\n\r\n${body}`,
        );
        return await conn.response();
      } finally {
        conn.destroy();
      }
    };
    // As `curl -X POST` sends it: no body, no framing headers. The alert does not exist: 404.
    const bare = await send("");
    expect(bare.status, bare.body).toBe(404);
    const chunked = await send(
      "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n",
      "5\r\nhello\r\n0\r\n\r\n",
    );
    expect(chunked.status, chunked.body).toBe(415);
    const declared = await send("Content-Type: text/plain\r\nContent-Length: 5\r\n", "hello");
    expect(declared.status, declared.body).toBe(415);
  });

  it("answers a Bearer header without a token 400 invalid_request, another scheme 401 with a bare challenge", async () => {
    for (const value of ["Bearer", "Bearer a b"]) {
      const res = await fetch(`${api.url}/v1/me`, { headers: { Authorization: value } });
      expect(res.status, value).toBe(400);
      expect(res.headers.get("www-authenticate"), value).toContain('error="invalid_request"');
      expect(res.headers.get("ratelimit"), value).toBeNull();
    }
    const basic = await fetch(`${api.url}/v1/me`, {
      headers: { Authorization: "Basic Zm9vOmJhcg==" },
    });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toBe('Bearer realm="gridpulse"');
    expect(basic.headers.get("ratelimit")).toBeNull();
  });

  it("compresses answers the client accepts compressed", async () => {
    const { key } = await api.tenant();
    const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; bytes: Buffer }>(
        (resolve, reject) => {
          const req = httpRequest(`${api.url}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${key}`,
              ...(body ? { "content-type": "application/json" } : {}),
              ...headers,
            },
          });
          req.on("response", (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                bytes: Buffer.concat(chunks),
              }),
            );
            res.on("error", reject);
          });
          req.on("error", reject);
          req.end(body);
        },
      );
    /** The body as sent, decoded by its Content-Encoding. */
    const decoded = (r: { headers: IncomingHttpHeaders; bytes: Buffer }) => {
      const encoding = r.headers["content-encoding"];
      if (encoding === "gzip") return gunzipSync(r.bytes);
      if (encoding === "deflate") return inflateSync(r.bytes);
      expect(encoding).toBeUndefined();
      return r.bytes;
    };
    const created = await raw(
      "POST",
      "/v1/assessments",
      { "accept-encoding": "gzip, deflate" },
      JSON.stringify(home),
    );
    expect(created.status).toBe(201);
    const location = created.headers.location as string;
    const identity = await raw("GET", location, {});
    expect(identity.headers["content-encoding"]).toBeUndefined();
    // Compressed on both runtimes (Node by gridpulse, workerd by the runtime itself)...
    expect(created.headers["content-encoding"]).toBe("gzip");
    expect(created.bytes.length).toBeLessThan(identity.bytes.length / 3);
    // ...and, decompressed, the stored assessment byte for byte.
    expect(decoded(created).equals(identity.bytes)).toBe(true);
    const deflated = await raw("GET", location, { "accept-encoding": "deflate" });
    expect(decoded(deflated).equals(identity.bytes)).toBe(true);
    if (runtime === "node") {
      expect(created.headers.vary).toMatch(/accept-encoding/i);
      expect(Number(created.headers["content-length"])).toBe(created.bytes.length);
      expect(deflated.headers["content-encoding"]).toBe("deflate");
    }
  });

  it("sends the IETF RateLimit fields, on the 429 too", async () => {
    const { key } = await api.tenant();
    let last: Response | undefined;
    for (let i = 0; i < 12; i++) {
      last = await call(api, "GET", "/v1/me", key);
      if (last.status === 429) break;
      if (runtime === "node") {
        expect(last.headers.get("ratelimit-policy")).toMatch(/^"per-key";q=5;w=5$/);
        expect(last.headers.get("ratelimit")).toMatch(/^"per-key";r=\d+;t=\d+$/);
      }
    }
    expect(last?.status).toBe(429);
    expect(last?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(last?.headers.get("ratelimit")).toMatch(/^"per-key";r=0;t=\d+$/);
  });
});
