import { describe, expect, it } from "vitest";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { knownPushHosts, pushHostAllowed } from "./channels/push/push-hosts.ts";
import {
  createOutboundGuard,
  type NameResolver,
  OutboundBlockedError,
  OutboundResolveError,
  pinnedLookup,
} from "./ssrf.ts";

const fakeDns: Record<string, string[]> = {
  "hooks.example.com": ["93.184.215.14"],
  "rebind.example.com": ["93.184.215.14", "127.0.0.1"],
  "internal.example.com": ["10.1.2.3"],
  "metadata.example.com": ["169.254.169.254"],
  "v6.example.com": ["2606:4700::1111"],
  "mapped.example.com": ["::ffff:127.0.0.1"],
  "nat64.example.com": ["64:ff9b::7f00:1"],
};
const resolve: NameResolver = async (host) => {
  const answers = fakeDns[host];
  if (!answers) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

async function reason(url: string, guard = createOutboundGuard({ resolve })) {
  try {
    await guard.check(url);
    return "allowed";
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundBlockedError);
    return (error as OutboundBlockedError).reason;
  }
}

describe("outbound guard", () => {
  it.each([
    ["http://127.0.0.1/hook", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://10.0.0.1/", "private"],
    ["http://169.254.169.254/latest/meta-data", "link_local"],
    ["http://[::1]:8080/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "ipv4_mapped"],
    ["http://100.64.0.1/", "cgnat"],
    ["http://[fd00::1]/", "unique_local"],
    ["http://0.0.0.0/", "unspecified"],
    ["http://internal.example.com/", "private"],
    ["http://metadata.example.com/", "link_local"],
    ["http://rebind.example.com/", "loopback"],
    ["http://mapped.example.com/", "ipv4_mapped"],
    ["http://nat64.example.com/", "loopback"],
    ["ftp://hooks.example.com/", "scheme_not_allowed"],
    ["file:///etc/passwd", "scheme_not_allowed"],
    ["not a url", "invalid_url"],
  ])("%s is refused (%s)", async (url, expected) => {
    expect(await reason(url)).toBe(expected);
  });

  it("reports a name that does not resolve as a resolver failure (retried), not a refusal", async () => {
    const guard = createOutboundGuard({ resolve });
    await expect(guard.check("http://nowhere.example.com/")).rejects.toMatchObject({
      name: "OutboundResolveError",
      host: "nowhere.example.com",
      code: "ENOTFOUND",
    });
    const empty = createOutboundGuard({ resolve: async () => [] });
    const error = await empty.check("http://hooks.example.com/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundResolveError);
    expect((error as OutboundResolveError).code).toBe("no address");
  });

  it("allows public names and addresses and returns every checked address", async () => {
    const guard = createOutboundGuard({ resolve });
    const t = await guard.check("https://user:pw@hooks.example.com/x?y=1");
    expect(t).toMatchObject({ hostname: "hooks.example.com", port: 443 });
    expect(t.addresses).toEqual([{ address: "93.184.215.14", family: 4 }]);
    expect((await guard.check("http://v6.example.com:8080/")).port).toBe(8080);
    expect(await reason("http://[2606:4700::1111]/")).toBe("allowed");
  });

  it("honours an explicit allowlist by address, port and host", async () => {
    const guard = createOutboundGuard({
      resolve,
      allowlist: parseAllowlist("127.0.0.1:9000,internal.example.com:8443,fd00::/8"),
    });
    expect(await reason("http://127.0.0.1:9000/", guard)).toBe("allowed");
    expect(await reason("http://127.0.0.1:9001/", guard)).toBe("loopback");
    expect(await reason("https://internal.example.com:8443/", guard)).toBe("allowed");
    expect(await reason("https://internal.example.com/", guard)).toBe("private");
    expect(await reason("http://[fd00::1]/", guard)).toBe("allowed");
  });

  it("the pinned lookup answers only with the checked addresses", async () => {
    const lookup = pinnedLookup([
      { address: "93.184.215.14", family: 4 },
      { address: "2606:4700::1111", family: 6 },
    ]);
    const one = await new Promise((r) =>
      lookup("anything", {}, (_e, address, family) => r([address, family])),
    );
    expect(one).toEqual(["93.184.215.14", 4]);
    const all = await new Promise((r) => lookup("anything", { all: true }, (_e, list) => r(list)));
    expect(all).toHaveLength(2);
    const v6 = await new Promise((r) =>
      lookup("anything", { family: 6 }, (_e, address) => r(address)),
    );
    expect(v6).toBe("2606:4700::1111");
  });
});

describe("push hosts", () => {
  it("knows the browser push services and matches wildcard subdomains only", () => {
    expect(pushHostAllowed("fcm.googleapis.com", knownPushHosts)).toBe(true);
    expect(pushHostAllowed("wns2-par02p.notify.windows.com", knownPushHosts)).toBe(true);
    expect(pushHostAllowed("notify.windows.com", knownPushHosts)).toBe(false);
    expect(pushHostAllowed("evilnotify.windows.com", knownPushHosts)).toBe(false);
    expect(pushHostAllowed("fcm.googleapis.com.evil.io", knownPushHosts)).toBe(false);
  });
});
