import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "../../core/db/remote-database.ts";
import { nodeServerFetch } from "./server-fetch.ts";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe("nodeServerFetch", () => {
  it("sends the request as given, uncompressed, over one kept-alive connection", async () => {
    const seen: {
      method?: string;
      url?: string;
      headers: Record<string, unknown>;
      body: string;
    }[] = [];
    let connections = 0;
    const { server, base } = await serve((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.setHeader("content-type", "application/json");
        res.setHeader("x-many", ["a", "b"]);
        res.statusCode = req.url === "/v3/missing" ? 404 : 200;
        res.end(JSON.stringify({ echo: body.length }));
      });
    });
    server.on("connection", () => {
      connections += 1;
    });
    const fetchServer = nodeServerFetch(5000);
    for (let i = 0; i < 5; i++) {
      const res = await fetchServer(
        new Request(`${base}/v3/pipeline`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer t0k" },
          body: JSON.stringify({ requests: [i] }),
        }),
      );
      expect(res.status).toBe(200);
      expect(res.ok).toBe(true);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(res.headers.get("x-many")).toBe("a, b");
      expect(await res.json()).toEqual({ echo: JSON.stringify({ requests: [i] }).length });
    }
    const missing = await fetchServer(new Request(`${base}/v3/missing`, { method: "GET" }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ echo: 0 });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/v3/pipeline",
      body: '{"requests":[0]}',
      headers: {
        "accept-encoding": "identity",
        authorization: "Bearer t0k",
        "content-type": "application/json",
        "content-length": "16",
      },
    });
    expect(seen[5]?.method).toBe("GET");
    expect(connections).toBe(1);
  });

  it("a server that does not answer, refuses, or is away behind a gateway: DatabaseUnavailableError", async () => {
    const { base } = await serve((req, res) => {
      if (req.url === "/gateway") {
        res.statusCode = 503;
        res.end("no upstream");
      } else if (req.url === "/cut-body") {
        res.setHeader("content-length", "100");
        res.write("{");
        setTimeout(() => res.destroy(), 20);
      } else if (req.url === "/slow-body") {
        res.write("{");
        // The rest never comes: the deadline covers reading the body too.
      }
      // Any other path: never answered (a stalled server).
    });
    const request = (url: string) => new Request(url, { method: "POST", body: "{}" });
    const started = performance.now();
    const stalled = nodeServerFetch(200)(request(`${base}/v2/pipeline`));
    await expect(stalled).rejects.toThrow(DatabaseUnavailableError);
    await expect(stalled).rejects.toThrow(/did not answer within 200 ms/);
    const slowBody = nodeServerFetch(200)(request(`${base}/slow-body`));
    await expect(slowBody).rejects.toThrow(/did not answer within 200 ms/);
    expect(performance.now() - started).toBeLessThan(5000);

    // A server that goes away in the middle of a response, with no deadline set (tools).
    await expect(nodeServerFetch(0)(request(`${base}/cut-body`))).rejects.toThrow(/unreachable/);

    await expect(nodeServerFetch(5000)(request(`${base}/gateway`))).rejects.toThrow(
      /the database server answered 503/,
    );

    // Port 1 on loopback: nothing listens there (connection refused).
    const refused = nodeServerFetch(5000)(request("http://127.0.0.1:1/"));
    await expect(refused).rejects.toThrow(/unreachable/);
    expect(isDatabaseUnavailable(await refused.catch((e: unknown) => e))).toBe(true);
  });
});
