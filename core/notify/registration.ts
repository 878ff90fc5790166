/**
 * The checks an outbound URL passes when it is registered (webhook endpoints, push subscriptions), in
 * the API on any runtime: scheme, no credentials, a port, and no address or name that is local by
 * construction (IP literals outside public unicast, `localhost`, `*.localhost`, `*.local`,
 * `*.internal`, `*.home.arpa`, single-label names). Names are resolved and every resolved address is
 * checked again at every delivery attempt by the stream worker's SSRF guard, which also pins the
 * connection to the checked address; this registration check turns the obvious cases away early.
 * `NOTIFY_OUTBOUND_ALLOWLIST` exempts hosts and CIDRs (tests, private deployments); off by default.
 */
import {
  allowlistAllowsAddress,
  allowlistAllowsHost,
  type OutboundAllowlist,
  parseIp,
  type RefusalReason,
  refusalReason,
} from "./address-policy.ts";
import { knownPushHosts, pushHostAllowed } from "./push-hosts.ts";

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const reasonText: Record<RefusalReason, string> = {
  unspecified: "an unspecified address",
  loopback: "a loopback address",
  private: "a private address",
  link_local: "a link-local address",
  cgnat: "a carrier-grade NAT (shared) address",
  unique_local: "a unique-local address",
  multicast: "a multicast address",
  broadcast: "a broadcast address",
  reserved: "a reserved address",
  ipv4_mapped: "an IPv4-mapped IPv6 address",
  not_global_unicast: "not a global unicast address",
};

const localSuffixes = [".localhost", ".local", ".internal", ".home.arpa", ".localdomain"];

export function checkOutboundUrl(text: string, allowlist: OutboundAllowlist): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: "only http and https URLs are allowed" };
  }
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL" };
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  // Port 0 is no port a receiver listens on (a connection to it fails, every delivery with it).
  if (port === 0) return { ok: false, reason: "port 0 is not a port to deliver to" };
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const ip = parseIp(host);
  if (ip) {
    if (allowlistAllowsAddress(allowlist, ip, port)) return { ok: true, url };
    const reason = refusalReason(ip);
    return reason
      ? { ok: false, reason: `${url.hostname} is ${reasonText[reason]}` }
      : { ok: true, url };
  }
  if (allowlistAllowsHost(allowlist, host, port)) return { ok: true, url };
  if (host === "localhost" || localSuffixes.some((s) => host.endsWith(s)) || !host.includes(".")) {
    return { ok: false, reason: `${host} is a local host name` };
  }
  return { ok: true, url };
}

/**
 * A Web Push subscription's endpoint: https only, on port 443, a host of a known push service (or one
 * configured in `NOTIFY_PUSH_HOSTS`), and the same address checks as any outbound URL.
 */
export function checkPushEndpoint(
  text: string,
  options: { allowlist: OutboundAllowlist; pushHosts: readonly string[] },
): UrlCheck {
  const checked = checkOutboundUrl(text, options.allowlist);
  if (!checked.ok) return checked;
  if (checked.url.protocol !== "https:") return { ok: false, reason: "must be an https URL" };
  const host = checked.url.hostname.replace(/^\[|\]$/g, "");
  if (!pushHostAllowed(host, [...knownPushHosts, ...options.pushHosts])) {
    return {
      ok: false,
      reason: `${host} is not a known push service (allowed: ${knownPushHosts.join(", ")} and NOTIFY_PUSH_HOSTS)`,
    };
  }
  // Push services listen on https's default port; another port only where the operator exempted
  // that host or address explicitly (NOTIFY_OUTBOUND_ALLOWLIST: self-hosted services, tests).
  const port = Number(checked.url.port || 443);
  if (port !== 443) {
    const ip = parseIp(host);
    const exempt = ip
      ? allowlistAllowsAddress(options.allowlist, ip, port)
      : allowlistAllowsHost(options.allowlist, host, port);
    if (!exempt) {
      return { ok: false, reason: `push services are reached on port 443 (got port ${port})` };
    }
  }
  return checked;
}
