/**
 * SSRF guard for every outbound notification URL (webhook endpoints, push services), used at
 * registration and again at every attempt: only http(s); the host name is resolved (all addresses)
 * and every address must pass core's address policy unless explicitly allowlisted; the request then
 * connects only to the addresses that were checked (a pinned `lookup`), so a second DNS answer cannot
 * differ. Redirects are never followed by the senders. The resolver is injectable for tests.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import {
  allowlistAllowsAddress,
  allowlistAllowsHost,
  emptyAllowlist,
  type OutboundAllowlist,
  parseIp,
  type RefusalReason,
  refusalReason,
} from "../../core/notify/address-policy.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (throws when it has none). */
export type NameResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address. */
export const systemResolver: NameResolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, order: "verbatim" });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export type BlockReason =
  | RefusalReason
  | "invalid_url"
  | "scheme_not_allowed"
  | "unresolvable"
  | "push_host_not_allowed";

/** Thrown when a URL may not be contacted. Carries the host, never the full URL (paths hold tokens). */
export class OutboundBlockedError extends Error {
  readonly reason: BlockReason;
  readonly host: string;
  constructor(reason: BlockReason, host: string, detail?: string) {
    super(
      `outbound request to ${host || "(invalid URL)"} refused: ${reason}${detail ? ` (${detail})` : ""}`,
    );
    this.name = "OutboundBlockedError";
    this.reason = reason;
    this.host = host;
  }
}

/**
 * Thrown when a host name could not be resolved at the moment (the resolver failed or gave no
 * address: EAI_AGAIN, SERVFAIL, a time-out, NXDOMAIN while a zone is being fixed). Not a refusal: the
 * attempt is a network error and is retried on the schedule.
 */
export class OutboundResolveError extends Error {
  readonly host: string;
  readonly code: string;
  constructor(host: string, code: string) {
    super(`cannot resolve ${host}: ${code}`);
    this.name = "OutboundResolveError";
    this.host = host;
    this.code = code;
  }
}

export interface CheckedTarget {
  url: URL;
  /** Host name without IPv6 brackets. */
  hostname: string;
  port: number;
  /** The checked addresses; connections go only to these. */
  addresses: ResolvedAddress[];
}

export interface OutboundGuard {
  check(url: string | URL): Promise<CheckedTarget>;
}

export interface OutboundGuardOptions {
  allowlist?: OutboundAllowlist;
  resolve?: NameResolver;
  /** Default http: and https:; push senders pass https: only. */
  protocols?: readonly string[];
}

export function createOutboundGuard(options: OutboundGuardOptions = {}): OutboundGuard {
  const allowlist = options.allowlist ?? emptyAllowlist;
  const resolve = options.resolve ?? systemResolver;
  const protocols = options.protocols ?? ["http:", "https:"];

  return {
    async check(input) {
      let url: URL;
      try {
        url = typeof input === "string" ? new URL(input) : input;
      } catch {
        throw new OutboundBlockedError("invalid_url", "");
      }
      const hostname = url.hostname.replace(/^\[|\]$/g, "");
      if (!protocols.includes(url.protocol))
        throw new OutboundBlockedError("scheme_not_allowed", hostname, url.protocol);
      if (!hostname) throw new OutboundBlockedError("invalid_url", "");
      const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;

      // The WHATWG parser already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
      const literal = parseIp(hostname);
      let addresses: ResolvedAddress[];
      if (literal) {
        addresses = [{ address: hostname, family: literal.family }];
      } else {
        try {
          addresses = await resolve(hostname);
        } catch (error) {
          throw new OutboundResolveError(
            hostname,
            (error as { code?: string }).code ?? (error as Error).name ?? "resolver error",
          );
        }
        if (addresses.length === 0) throw new OutboundResolveError(hostname, "no address");
      }
      const hostAllowed = !literal && allowlistAllowsHost(allowlist, hostname, port);
      for (const a of addresses) {
        const ip = parseIp(a.address);
        if (!ip) throw new OutboundBlockedError("unresolvable", hostname, "resolver gave a non-IP");
        if (hostAllowed || allowlistAllowsAddress(allowlist, ip, port)) continue;
        const reason = refusalReason(ip);
        // Refuse when any answer is refused: a name mixing public and internal addresses is a rebinding setup.
        if (reason) throw new OutboundBlockedError(reason, hostname, a.address);
      }
      return { url, hostname, port, addresses };
    },
  };
}

/** A `lookup` for http(s).request that answers only with the checked addresses. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if (usable.length === 0) {
      const error = Object.assign(new Error("no checked address of the requested family"), {
        code: "ENOTFOUND",
      });
      callback(error, "", 4);
      return;
    }
    if (options.all) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [...usable]);
    } else {
      const first = usable[0] as ResolvedAddress;
      callback(null, first.address, first.family);
    }
  };
}
