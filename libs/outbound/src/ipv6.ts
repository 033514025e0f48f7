import { isIPv4 } from "node:net";

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null if it is not one. */
export const ipv6Groups = (address: string): number[] | null => {
  let text = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const tail: number[] = [];
  const dotted = text.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    if (!isIPv4(dotted[2]!)) return null;
    const [a, b, c, d] = dotted[2]!.split(".").map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (![...head, ...rest].every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const zeros = new Array<number>(8 - known).fill(0);
  return [...head.map((g) => Number.parseInt(g, 16)), ...zeros, ...rest.map((g) => Number.parseInt(g, 16)), ...tail];
};

const dottedQuad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 addresses an IPv6 address carries inside it (mapped, compatible, NAT64, 6to4, Teredo),
 * because traffic to those ends up at the IPv4 address.
 */
export const embeddedIpv4 = (groups: number[]): string[] => {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroUpTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  const found: string[] = [];
  if (zeroUpTo(5) && g5 === 0xffff) found.push(dottedQuad(g6, g7)); // ::ffff:a.b.c.d (mapped)
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) found.push(dottedQuad(g6, g7)); // ::ffff:0:a.b.c.d (translated)
  if (zeroUpTo(6) && (g6 !== 0 || g7 > 1)) found.push(dottedQuad(g6, g7)); // ::a.b.c.d (compatible)
  if (g0 === 0x64 && g1 === 0xff9b && [g2, g3, g4, g5].every((g) => g === 0)) found.push(dottedQuad(g6, g7)); // NAT64
  if (g0 === 0x2002) found.push(dottedQuad(g1, g2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) found.push(dottedQuad(g2, g3), dottedQuad(g6 ^ 0xffff, g7 ^ 0xffff)); // Teredo
  return found;
};
