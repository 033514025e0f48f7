import { type AddressPolicy, addressPolicy } from "./address-policy.ts";
import { normalizeHost } from "./hosts.ts";

/** What REELGATE_OUTBOUND_ALLOW exempts from the address rules: host names, and IP networks. */
export interface OutboundAllow extends AddressPolicy {
  /** Host names (normalized) that may be reached whatever they resolve to. */
  hosts: ReadonlySet<string>;
}

const looksLikeAddress = /^[\d.]+(\/.*)?$|:|\//;

/**
 * Parses REELGATE_OUTBOUND_ALLOW: comma-separated host names, IPs or CIDRs (`localhost, 127.0.0.2, 10.1.0.0/16`).
 * Unset or empty exempts nothing; a malformed entry throws, so bad configuration stops the process at start.
 */
export const parseOutboundAllow = (value: string | undefined): OutboundAllow => {
  const { cidrs, hosts } = outboundAllowEntries(value);
  return { ...addressPolicy(cidrs), hosts: new Set(hosts) };
};

/** REELGATE_OUTBOUND_ALLOW split into its IPs/CIDRs and its host names (normalized). */
export const outboundAllowEntries = (value: string | undefined): { cidrs: string[]; hosts: string[] } => {
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return {
    cidrs: entries.filter((entry) => looksLikeAddress.test(entry)),
    hosts: entries.filter((entry) => !looksLikeAddress.test(entry)).map(normalizeHost),
  };
};

/** Nothing exempt: the rules as they stand. */
export const noOutboundAllow: OutboundAllow = parseOutboundAllow(undefined);
