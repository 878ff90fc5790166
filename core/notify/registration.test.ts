import { describe, expect, it } from "vitest";
import { parseAllowlist } from "./address-policy.ts";
import { checkOutboundUrl } from "./registration.ts";

describe("checkOutboundUrl", () => {
  const none = parseAllowlist("");
  it("refuses local targets and odd URLs at registration", () => {
    for (const url of [
      "http://127.0.0.1/hook",
      "http://10.0.0.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://100.64.0.1/hook",
      "http://localhost:8080/hook",
      "http://printer.local/",
      "http://metadata.google.internal/",
      "http://intranet/",
      "ftp://example.com/",
      "https://user:pw@example.com/",
      "not a url",
    ]) {
      expect(checkOutboundUrl(url, none).ok, url).toBe(false);
    }
  });
  it("accepts public targets, and allowlisted local ones", () => {
    expect(checkOutboundUrl("https://hooks.example.com/x", none).ok).toBe(true);
    expect(checkOutboundUrl("https://93.184.215.14/x", none).ok).toBe(true);
    const tests = parseAllowlist("127.0.0.1/32,localhost:9000");
    expect(checkOutboundUrl("http://127.0.0.1:4000/x", tests).ok).toBe(true);
    expect(checkOutboundUrl("http://localhost:9000/x", tests).ok).toBe(true);
    expect(checkOutboundUrl("http://localhost:9001/x", tests).ok).toBe(false);
  });
});
