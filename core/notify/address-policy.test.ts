import { describe, expect, it } from "vitest";
import {
  allowlistAllowsAddress,
  allowlistAllowsHost,
  formatIp,
  type IpAddress,
  parseAllowlist,
  parseCidr,
  parseIp,
  refusalReason,
} from "./address-policy.ts";

const ip = (text: string) => parseIp(text) as IpAddress;

describe("IP parsing", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "0:0:0:0:0:0:0:1"],
    ["[::ffff:127.0.0.1]", "0:0:0:0:0:ffff:7f00:1"],
    ["::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:1"],
    ["64:ff9b::10.0.0.1", "64:ff9b:0:0:0:0:a00:1"],
    ["2606:4700::1111", "2606:4700:0:0:0:0:0:1111"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ])("%s", (text, formatted) => {
    expect(formatIp(ip(text))).toBe(formatted);
  });

  it.each(["256.0.0.1", "01.2.3.4", "1.2.3", "1:2:3:4:5:6:7:8:9", "1::2::3", "fe80::1%eth0", "x"])(
    "rejects %s",
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe("refused addresses", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link_local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "ipv4_mapped"],
    ["::ffff:8.8.8.8", "ipv4_mapped"],
    ["::127.0.0.1", "ipv4_mapped"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link_local"],
    ["fc00::1", "unique_local"],
    ["fd12:3456::1", "unique_local"],
    ["fe80::1", "link_local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["2002:7f00:1::1", "reserved"],
    ["100::1", "not_global_unicast"],
  ])("%s is refused as %s", (text, reason) => {
    expect(refusalReason(ip(text))).toBe(reason);
  });

  it.each([
    "8.8.8.8",
    "100.128.0.1",
    "172.32.0.1",
    "1.1.1.1",
    "2606:4700::1111",
    "64:ff9b::808:808",
  ])("%s is allowed", (text) => {
    expect(refusalReason(ip(text))).toBeUndefined();
  });
});

describe("allowlist", () => {
  it("parses CIDRs, addresses with ports and host names", () => {
    const list = parseAllowlist(
      "127.0.0.0/8, [::1]:8443, 10.1.2.3:80, hooks.internal:9000, push.test",
    );
    expect(allowlistAllowsAddress(list, ip("127.9.9.9"), 1)).toBe(true);
    expect(allowlistAllowsAddress(list, ip("::1"), 8443)).toBe(true);
    expect(allowlistAllowsAddress(list, ip("::1"), 8444)).toBe(false);
    expect(allowlistAllowsAddress(list, ip("10.1.2.3"), 80)).toBe(true);
    expect(allowlistAllowsAddress(list, ip("10.1.2.3"), 81)).toBe(false);
    expect(allowlistAllowsHost(list, "HOOKS.internal", 9000)).toBe(true);
    expect(allowlistAllowsHost(list, "hooks.internal", 9001)).toBe(false);
    expect(allowlistAllowsHost(list, "push.test", 443)).toBe(true);
    expect(parseAllowlist(undefined)).toEqual({ cidrs: [], hosts: [] });
  });

  it("rejects malformed entries", () => {
    expect(() => parseAllowlist("10.0.0.0/33")).toThrow(/10.0.0.0\/33/);
    expect(() => parseAllowlist("host:0")).toThrow(/port/);
    expect(() => parseAllowlist("http://x")).toThrow();
    expect(parseCidr("10.0.0.0/8")?.prefix).toBe(8);
  });
});
