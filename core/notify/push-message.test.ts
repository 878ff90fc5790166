import { createECDH, randomBytes } from "node:crypto";
import ece from "http_ece";
import { describe, expect, it } from "vitest";
import {
  assertPushPayloadFits,
  maxPushPlaintextBytes,
  type PushAlertMessage,
  PushPayloadTooLargeError,
  pushPayload,
  pushTopicFor,
  urgencyForSeverity,
  utf8Length,
} from "./push-message.ts";

const message: PushAlertMessage = {
  title: "checkout availability burning",
  body: "14.4x over 1h",
  status: "firing",
  severity: "page",
  fingerprint: "fp1",
  ts: "2026-11-30T12:00:00Z",
};

describe("push message", () => {
  it("maps severity to urgency", () => {
    expect(urgencyForSeverity("page")).toBe("high");
    expect(urgencyForSeverity("ticket")).toBe("normal");
    expect(urgencyForSeverity("info")).toBe("low");
    expect(urgencyForSeverity(undefined)).toBe("low");
  });

  it("derives a stable 32-character base64url topic per fingerprint", async () => {
    const a = await pushTopicFor("fp1");
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await pushTopicFor("fp1")).toBe(a);
    expect(await pushTopicFor("fp2")).not.toBe(a);
  });

  it("3993 bytes of plaintext fill exactly one 4096-byte aes128gcm record", () => {
    const receiver = createECDH("prime256v1");
    receiver.generateKeys();
    const sender = createECDH("prime256v1");
    sender.generateKeys();
    const params = {
      version: "aes128gcm" as const,
      privateKey: sender,
      dh: receiver.getPublicKey().toString("base64url"),
      authSecret: randomBytes(16).toString("base64url"),
      salt: randomBytes(16).toString("base64url"),
      rs: 4096,
    };
    expect(ece.encrypt(Buffer.alloc(maxPushPlaintextBytes), params).length).toBe(4096);
    expect(ece.encrypt(Buffer.alloc(maxPushPlaintextBytes + 1), params).length).toBeGreaterThan(
      4096,
    );
  });

  it("keeps small payloads whole and shortens a long body to fit", () => {
    expect(JSON.parse(pushPayload(message))).toMatchObject({ v: 1, body: "14.4x over 1h" });
    const long = pushPayload({ ...message, body: 'é"\n'.repeat(5000) });
    expect(utf8Length(long)).toBeLessThanOrEqual(maxPushPlaintextBytes);
    expect(utf8Length(long)).toBeGreaterThan(maxPushPlaintextBytes - 10);
    expect(JSON.parse(long).body.endsWith("…")).toBe(true);
    expect(() => pushPayload({ ...message, title: "x".repeat(4000) })).toThrow(
      PushPayloadTooLargeError,
    );
  });

  it("refuses oversize raw payloads", () => {
    expect(() => assertPushPayloadFits("x".repeat(maxPushPlaintextBytes))).not.toThrow();
    expect(() => assertPushPayloadFits(new Uint8Array(maxPushPlaintextBytes + 1))).toThrow(
      /3994 bytes/,
    );
  });
});
