import { BlockList, isIP, isIPv4 } from "node:net";
import { embeddedIpv4, ipv6Groups } from "./ipv6.ts";

type Range = [network: string, prefix: number];

// Ordered: the first matching kind names the error, so specific kinds come before the ranges that contain them.
const blockedIpv4: Array<[kind: string, ranges: Range[]]> = [
  [
    "metadata",
    [
      ["169.254.169.254", 32],
      ["168.63.129.16", 32],
      ["100.100.100.200", 32],
    ],
  ],
  ["broadcast", [["255.255.255.255", 32]]],
  ["unspecified", [["0.0.0.0", 8]]],
  ["loopback", [["127.0.0.0", 8]]],
  [
    "private",
    [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
      ["100.64.0.0", 10],
      ["192.0.0.0", 24],
      ["198.18.0.0", 15],
    ],
  ],
  ["link-local", [["169.254.0.0", 16]]],
  ["multicast", [["224.0.0.0", 4]]],
  [
    "reserved",
    [
      ["240.0.0.0", 4],
      ["192.0.2.0", 24],
      ["198.51.100.0", 24],
      ["203.0.113.0", 24],
    ],
  ],
];

const blockedIpv6: Array<[kind: string, ranges: Range[]]> = [
  ["metadata", [["fd00:ec2::254", 128]]],
  ["unspecified", [["::", 128]]],
  ["loopback", [["::1", 128]]],
  [
    "private",
    [
      ["fc00::", 7],
      ["fec0::", 10],
      ["64:ff9b:1::", 48],
    ],
  ],
  ["link-local", [["fe80::", 10]]],
  ["multicast", [["ff00::", 8]]],
  [
    "reserved",
    [
      ["100::", 64],
      ["2001:db8::", 32],
    ],
  ],
];

const listOf = (ranges: Range[], family: "ipv4" | "ipv6") => {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return list;
};

const kindsOf = (table: Array<[string, Range[]]>, family: "ipv4" | "ipv6") =>
  table.map(([kind, ranges]) => ({ kind, list: listOf(ranges, family) }));

const ipv4Kinds = kindsOf(blockedIpv4, "ipv4");
const ipv6Kinds = kindsOf(blockedIpv6, "ipv6");

/** Parses operator CIDRs (`10.1.2.0/24`, `fd12::/64`, or a bare address); a typo fails loudly at start-up. */
const allowListOf = (cidrs: string[]) => {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = "", prefixText, ...extra] = cidr.trim().split("/");
    const family = isIP(network);
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || extra.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new Error(`allowed CIDR '${cidr}' is not an IPv4 or IPv6 network like 10.1.2.0/24`);
    }
    list.addSubnet(network, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return list;
};

/**
 * Decides whether Reelgate may connect to an IP address: loopback, private, link-local, multicast, metadata and
 * other special-purpose addresses are refused, also when hidden inside an IPv6 form, unless an operator allowed them.
 */
export const addressPolicy = (allowedCidrs: string[] = []) => {
  const allowed = allowListOf(allowedCidrs);
  const isAllowed = (address: string, v4Inside: string[]) =>
    allowed.check(address, isIPv4(address) ? "ipv4" : "ipv6") || v4Inside.some((v4) => allowed.check(v4, "ipv4"));

  /** Why the address is refused (e.g. "loopback"), or null when it may be fetched from. Non-addresses are refused. */
  const blockedKind = (address: string): string | null => {
    if (isIPv4(address)) {
      if (allowed.check(address, "ipv4")) return null;
      return ipv4Kinds.find(({ list }) => list.check(address, "ipv4"))?.kind ?? null;
    }
    const bare = address.replace(/%.*$/, "");
    const groups = ipv6Groups(bare);
    if (!groups || isIP(bare) !== 6) return "invalid";
    const v4Inside = embeddedIpv4(groups);
    if (isAllowed(bare, v4Inside)) return null;
    const own = ipv6Kinds.find(({ list }) => list.check(bare, "ipv6"))?.kind;
    if (own) return own;
    for (const v4 of v4Inside) {
      const kind = ipv4Kinds.find(({ list }) => list.check(v4, "ipv4"))?.kind;
      if (kind) return kind;
    }
    return null;
  };
  return { blockedKind };
};

export type AddressPolicy = ReturnType<typeof addressPolicy>;
