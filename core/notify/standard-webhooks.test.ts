import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  activeSecrets,
  decodeWebhookSecret,
  generateWebhookSecret,
  signatureFor,
  signWebhook,
  verifyWebhook,
} from "./standard-webhooks.ts";

describe("Standard Webhooks signing", () => {
  it("matches the specification's example signature", async () => {
    // Example from the Standard Webhooks specification.
    const sig = await signatureFor(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is verified by the standardwebhooks package, with each secret of a rotation", async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const nowS = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "alert.firing", data: { x: "é" } });
    const headers = await signWebhook({ id: "msg_1", timestampS: nowS, body }, [
      oldSecret,
      newSecret,
    ]);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(oldSecret).verify(`${body} `, { ...headers })).toThrow();
  });

  it("verifies its own signatures and rejects stale, tampered or unsigned ones", async () => {
    const secret = generateWebhookSecret();
    const nowMs = 1_700_000_000_000;
    const h = await signWebhook({ id: "m1", timestampS: nowMs / 1000, body: "{}" }, [secret]);
    expect(await verifyWebhook(h, "{}", [secret], nowMs)).toEqual({ ok: true });
    expect(await verifyWebhook(h, "{ }", [secret], nowMs)).toMatchObject({
      reason: "no_matching_signature",
    });
    expect(await verifyWebhook(h, "{}", [secret], nowMs + 301_000)).toMatchObject({
      reason: "timestamp_out_of_tolerance",
    });
    expect(await verifyWebhook({}, "{}", [secret], nowMs)).toMatchObject({
      reason: "missing_headers",
    });
  });

  it("keeps expired secrets out of the signing set", () => {
    const s = [{ secret: "a", expiresAtMs: 1000 }, { secret: "b" }];
    expect(activeSecrets(s, 999)).toEqual(["a", "b"]);
    expect(activeSecrets(s, 1000)).toEqual(["b"]);
    // As stored: the current secret has a null expiry.
    expect(activeSecrets([{ secret: "c", expiresAtMs: null }, ...s], 1000)).toEqual(["c", "b"]);
  });

  it("rejects malformed secrets and ids without echoing the secret", async () => {
    expect(() => decodeWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow(/whsec_/);
    expect(() => decodeWebhookSecret("whsec_!!!")).toThrow(/base64/);
    expect(() => decodeWebhookSecret("whsec_AAAA")).toThrow(/24 to 64/);
    await expect(signWebhook({ id: "a.b", timestampS: 1, body: "" }, ["x"])).rejects.toThrow(/id/);
    await expect(signWebhook({ id: "a", timestampS: 1, body: "" }, [])).rejects.toThrow(/secret/);
  });
});
