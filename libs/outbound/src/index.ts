export { type AddressPolicy, addressPolicy } from "./address-policy.ts";
export { isOutboundError, OutboundError, type OutboundErrorKind } from "./errors.ts";
export {
  bodyChunks,
  type GuardedBody,
  type GuardedFetchOptions,
  guardedFetch,
  readBodyCapped,
} from "./guarded-fetch.ts";
export { hostOfUrl, normalizeHost } from "./hosts.ts";
export { embeddedIpv4, ipv6Groups } from "./ipv6.ts";
export { type HostLookup, type ResolvedAddress, systemLookup } from "./lookup.ts";
export { noOutboundAllow, type OutboundAllow, outboundAllowEntries, parseOutboundAllow } from "./outbound-allow.ts";
export { readCapped } from "./read-capped.ts";
