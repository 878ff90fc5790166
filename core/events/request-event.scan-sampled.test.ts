import { describe, expect, it } from "vitest";
import {
  newScannedRequestEvent,
  scannedTraceparentSampled,
  scanRequestEvent,
} from "./request-event.scan.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";
const bytesOf = (traceparent?: string) =>
  new TextEncoder().encode(
    JSON.stringify({
      id: "e1",
      ts: 1_795_000_000_000,
      service: "svc",
      route: "/r",
      method: "GET",
      status: 200,
      durationMs: 5,
      ...(traceparent ? { traceparent } : {}),
    }),
  );

describe("scannedTraceparentSampled", () => {
  it("reads bit 0 of the flags byte (W3C §3.2.2.5), not the last character", () => {
    const scanned = newScannedRequestEvent();
    // Every flags byte: sampled exactly when its low bit is set.
    for (let flags = 0; flags < 256; flags++) {
      const hex = flags.toString(16).padStart(2, "0");
      const bytes = bytesOf(`00-${T}-${S}-${hex}`);
      expect(scanRequestEvent(bytes, scanned), hex).toBe(true);
      expect(scannedTraceparentSampled(bytes, scanned), hex).toBe((flags & 1) === 1);
    }
  });

  it("is false without a traceparent", () => {
    const scanned = newScannedRequestEvent();
    const bytes = bytesOf();
    expect(scanRequestEvent(bytes, scanned)).toBe(true);
    expect(scannedTraceparentSampled(bytes, scanned)).toBe(false);
  });
});
