import { createECDH } from "node:crypto";
import { describe, expect, it } from "vitest";
import webPush from "web-push";
import { assertVapidKeys, loadVapidKeys, memoryVapidKeyStore } from "./vapid-keys.ts";

describe("VAPID key pairs whose halves do not belong together", () => {
  it("are refused at start when configured, naming both variables and the matching public key, never the private key", async () => {
    const a = webPush.generateVAPIDKeys();
    const b = webPush.generateVAPIDKeys();
    const load = loadVapidKeys({
      configured: { publicKey: a.publicKey, privateKey: b.privateKey },
      store: memoryVapidKeyStore(),
    });
    const error = (await load.catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/VAPID_PUBLIC_KEY/);
    expect(error.message).toMatch(/VAPID_PRIVATE_KEY/);
    // The public key that matches the private one is public: it tells the operator what to set.
    expect(error.message).toContain(b.publicKey);
    expect(error.message).not.toContain(b.privateKey);
    expect(error.message).not.toContain(a.privateKey);
    // The matching pair starts.
    expect(
      await loadVapidKeys({
        configured: { publicKey: b.publicKey, privateKey: b.privateKey },
        store: memoryVapidKeyStore(),
      }),
    ).toEqual({ publicKey: b.publicKey, privateKey: b.privateKey });
  });

  it("are refused when the store holds them, naming the vapid_keys row", async () => {
    const a = webPush.generateVAPIDKeys();
    const b = webPush.generateVAPIDKeys();
    const store = memoryVapidKeyStore({ publicKey: a.publicKey, privateKey: b.privateKey });
    await expect(loadVapidKeys({ store })).rejects.toThrow(/vapid_keys/);
  });

  it("a private key that is not a P-256 scalar (0, or the group order) is refused", () => {
    const { publicKey } = webPush.generateVAPIDKeys();
    const order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    for (const d of ["00".repeat(32), order]) {
      const privateKey = Buffer.from(d, "hex").toString("base64url");
      expect(() => assertVapidKeys({ publicKey, privateKey }), d).toThrow(/VAPID_PRIVATE_KEY/);
    }
  });

  it("accepts pairs from Node's ECDH as well as web-push's generator", () => {
    for (let i = 0; i < 5; i++) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const keys = {
        publicKey: ecdh.getPublicKey().toString("base64url"),
        privateKey: ecdh.getPrivateKey().toString("base64url"),
      };
      // A private key with leading zero bytes is still 32 bytes long.
      if (Buffer.from(keys.privateKey, "base64url").length !== 32) continue;
      expect(assertVapidKeys(keys)).toEqual(keys);
    }
  });
});
