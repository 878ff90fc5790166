/**
 * Which IP addresses an outbound notification may connect to. Refused: loopback, private (RFC 1918),
 * link-local (incl. the 169.254.169.254 metadata service), CGNAT (100.64/10), unique-local (fc00::/7),
 * unspecified, multicast, broadcast, documentation/benchmark/reserved blocks, IPv4-mapped and
 * IPv4-compatible IPv6 forms, and NAT64 (64:ff9b::/96) embeddings of refused IPv4 addresses. IPv6
 * must lie in global unicast 2000::/3. Pure: the resolver and the socket live in stream/notify.
 */

export interface IpAddress {
  family: 4 | 6;
  /** 32-bit (IPv4) or 128-bit (IPv6) value. */
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

/** Parses a canonical dotted-quad IPv4 or an IPv6 literal (brackets allowed, zone ids refused). */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseIpv4(t);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(t);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let head = text;
  let tail: bigint[] = [];
  // A dotted-quad tail (::ffff:127.0.0.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? BigInt(`0x${g}`) : undefined);
  const parse = (s: string) => (s === "" ? [] : s.split(":").map(group));
  const left = parse(halves[0] as string);
  const right = halves.length === 2 ? parse(halves[1] as string) : [];
  if (left.includes(undefined) || right.includes(undefined)) return undefined;
  const explicit = left.length + right.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [
      ...(left as bigint[]),
      ...Array<bigint>(8 - explicit).fill(0n),
      ...(right as bigint[]),
      ...tail,
    ];
  } else {
    if (explicit !== 8) return undefined;
    groups = [...(left as bigint[]), ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** `10.0.0.0/8`, `fc00::/7`, or a single address (full-length prefix). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.trim().split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  const shift = BigInt(bits - prefix);
  return { family: ip.family, base: (ip.value >> shift) << shift, prefix };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - cidr.prefix);
  return ip.value >> shift === cidr.base >> shift;
}

const cidr = (text: string): Cidr => parseCidr(text) as Cidr;

export type RefusalReason =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "unique_local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "ipv4_mapped"
  | "not_global_unicast";

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), the blocks not globally reachable.
const ipv4Refused: [Cidr, RefusalReason][] = [
  [cidr("0.0.0.0/8"), "unspecified"],
  [cidr("10.0.0.0/8"), "private"],
  [cidr("100.64.0.0/10"), "cgnat"],
  [cidr("127.0.0.0/8"), "loopback"],
  [cidr("169.254.0.0/16"), "link_local"],
  [cidr("172.16.0.0/12"), "private"],
  [cidr("192.0.0.0/24"), "reserved"],
  [cidr("192.0.2.0/24"), "reserved"],
  [cidr("192.88.99.0/24"), "reserved"],
  [cidr("192.168.0.0/16"), "private"],
  [cidr("198.18.0.0/15"), "reserved"],
  [cidr("198.51.100.0/24"), "reserved"],
  [cidr("203.0.113.0/24"), "reserved"],
  [cidr("224.0.0.0/4"), "multicast"],
  [cidr("255.255.255.255/32"), "broadcast"],
  [cidr("240.0.0.0/4"), "reserved"],
];

const ipv6Unspecified = cidr("::/128");
const ipv6Loopback = cidr("::1/128");
const ipv4Mapped = cidr("::ffff:0:0/96");
const ipv4Compatible = cidr("::/96");
const nat64 = cidr("64:ff9b::/96");
const globalUnicast = cidr("2000::/3");
const ipv6Refused: [Cidr, RefusalReason][] = [
  [cidr("fc00::/7"), "unique_local"],
  [cidr("fe80::/10"), "link_local"],
  [cidr("fec0::/10"), "link_local"],
  [cidr("ff00::/8"), "multicast"],
  [cidr("2001::/23"), "reserved"], // IETF protocol assignments, incl. Teredo 2001::/32
  [cidr("2001:db8::/32"), "reserved"], // documentation
  [cidr("2002::/16"), "reserved"], // 6to4 (embeds IPv4; deprecated by RFC 7526)
  [cidr("3fff::/20"), "reserved"], // documentation (RFC 9637)
  [cidr("5f00::/16"), "reserved"], // SRv6 SIDs (RFC 9602)
];

const embeddedV4 = (ip: IpAddress): IpAddress => ({ family: 4, value: ip.value & 0xffffffffn });

/** Why `ip` must not be connected to, or undefined when it is a public unicast address. */
export function refusalReason(ip: IpAddress): RefusalReason | undefined {
  if (ip.family === 4) {
    for (const [block, reason] of ipv4Refused) if (cidrContains(block, ip)) return reason;
    return undefined;
  }
  if (cidrContains(ipv6Unspecified, ip)) return "unspecified";
  if (cidrContains(ipv6Loopback, ip)) return "loopback";
  // Any IPv4 dressed as IPv6 is refused outright: a mapped socket reaches that IPv4 host directly.
  if (cidrContains(ipv4Mapped, ip) || cidrContains(ipv4Compatible, ip)) return "ipv4_mapped";
  // NAT64 reaches the embedded IPv4 through a translator: judged by that address.
  if (cidrContains(nat64, ip)) return refusalReason(embeddedV4(ip));
  for (const [block, reason] of ipv6Refused) if (cidrContains(block, ip)) return reason;
  if (!cidrContains(globalUnicast, ip)) return "not_global_unicast";
  return undefined;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join(".");
  }
  const groups = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  return groups.join(":");
}

/**
 * Explicit exceptions for tests and private deployments (`NOTIFY_OUTBOUND_ALLOWLIST`), comma-separated:
 * `CIDR` or address (any port), `address:port` / `[v6]:port`, `hostname:port`, or `hostname`.
 * Address entries allow connecting to those addresses; hostname entries allow that URL host whatever
 * it resolves to (the connection is still pinned to the resolved address).
 */
export interface OutboundAllowlist {
  cidrs: { cidr: Cidr; port?: number }[];
  hosts: { host: string; port?: number }[];
}

export const emptyAllowlist: OutboundAllowlist = { cidrs: [], hosts: [] };

export function parseAllowlist(text: string | undefined): OutboundAllowlist {
  const out: OutboundAllowlist = { cidrs: [], hosts: [] };
  for (const raw of (text ?? "").split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const asCidr = parseCidr(entry);
    if (asCidr) {
      out.cidrs.push({ cidr: asCidr });
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(entry);
    const hostPart = m ? (m[1] as string) : entry;
    const port = m ? Number(m[2]) : undefined;
    if (port !== undefined && (port < 1 || port > 65535))
      throw new Error(`allowlist entry "${entry}": port out of range`);
    const ipCidr = parseCidr(hostPart.replace(/^\[|\]$/g, ""));
    if (ipCidr) out.cidrs.push(port === undefined ? { cidr: ipCidr } : { cidr: ipCidr, port });
    else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(hostPart))
      out.hosts.push(
        port === undefined
          ? { host: hostPart.toLowerCase() }
          : { host: hostPart.toLowerCase(), port },
      );
    else throw new Error(`allowlist entry "${entry}" is not a CIDR, address[:port] or host[:port]`);
  }
  return out;
}

export const allowlistAllowsHost = (list: OutboundAllowlist, host: string, port: number) =>
  list.hosts.some(
    (h) => h.host === host.toLowerCase() && (h.port === undefined || h.port === port),
  );

export const allowlistAllowsAddress = (list: OutboundAllowlist, ip: IpAddress, port: number) =>
  list.cidrs.some((c) => cidrContains(c.cidr, ip) && (c.port === undefined || c.port === port));
