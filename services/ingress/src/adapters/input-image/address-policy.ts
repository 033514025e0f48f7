// The address rules live with the guarded fetcher in @reelgate/outbound; the reader builds its policy from here.
export { type AddressPolicy, addressPolicy } from "@reelgate/outbound";
