import { describe, expect, it } from "vitest";
import { parseAllowlist } from "./address-policy.ts";
import { checkOutboundUrl, checkPushEndpoint } from "./registration.ts";

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
      "https://hooks.example.com:0/x",
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

describe("refusal reasons", () => {
  const none = parseAllowlist("");
  it("say what the address is", () => {
    const reason = (url: string) => {
      const r = checkOutboundUrl(url, none);
      return r.ok ? "accepted" : r.reason;
    };
    expect(reason("http://127.0.0.1/")).toBe("127.0.0.1 is a loopback address");
    expect(reason("http://10.0.0.1/")).toBe("10.0.0.1 is a private address");
    expect(reason("https://169.254.169.254/")).toBe("169.254.169.254 is a link-local address");
    expect(reason("http://[::1]/")).toBe("[::1] is a loopback address");
    expect(reason("http://[::ffff:127.0.0.1]/")).toMatch(/IPv4-mapped IPv6 address$/);
    expect(reason("http://100.64.0.1/")).toBe("100.64.0.1 is a carrier-grade NAT (shared) address");
    expect(reason("http://localhost/")).toBe("localhost is a local host name");
  });
});

describe("checkPushEndpoint", () => {
  const none = { allowlist: parseAllowlist(""), pushHosts: [] as string[] };
  const reason = (url: string, options = none) => {
    const r = checkPushEndpoint(url, options);
    return r.ok ? "accepted" : r.reason;
  };
  it("accepts known push services over https only", () => {
    expect(reason("https://fcm.googleapis.com/fcm/send/abc")).toBe("accepted");
    expect(reason("https://wns2-par02p.notify.windows.com/w/?token=x")).toBe("accepted");
    expect(reason("http://fcm.googleapis.com/fcm/send/abc")).toBe("must be an https URL");
    expect(reason("https://push.example.com/x")).toMatch(
      /^push.example.com is not a known push service/,
    );
  });
  it("applies the address checks first, and the configured hosts and allowlist", () => {
    expect(reason("https://127.0.0.1:9443/push")).toBe("127.0.0.1 is a loopback address");
    const local = { allowlist: parseAllowlist("127.0.0.1/32"), pushHosts: ["127.0.0.1"] };
    expect(reason("https://127.0.0.1:9443/push", local)).toBe("accepted");
    expect(reason("https://push.example.com/x", { ...none, pushHosts: ["*.example.com"] })).toBe(
      "accepted",
    );
  });
});
