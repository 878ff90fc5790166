import { once } from "node:events";
import { type AddressInfo, connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { canBind, ephemeralPortRange, freePort, isPortOpen } from "./net.ts";

describe("loopback ports", () => {
  const [low] = ephemeralPortRange();
  it.skipIf(low < 11_000)(
    "draws free ports below the ephemeral range, where no outgoing connection takes them",
    async () => {
      for (let i = 0; i < 10; i++) {
        const port = await freePort();
        expect(port).toBeGreaterThanOrEqual(10_000);
        expect(port).toBeLessThan(low);
        expect(await canBind(port)).toBe(true);
      }
    },
  );

  it("sees a port held by a connection's local end as taken, which a connect probe misses", async () => {
    const server = createServer((socket) => socket.on("error", () => {}));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = connect({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
    await once(client, "connect");
    try {
      const local = client.localPort as number;
      expect(await isPortOpen(local)).toBe(false);
      expect(await canBind(local)).toBe(false);
      const listening = (server.address() as AddressInfo).port;
      expect(await canBind(listening)).toBe(false);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
