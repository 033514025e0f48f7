/**
 * A host as URLs compare it: lower case, IPv6 brackets dropped, IPv4 in dotted form (`2130706433` → `127.0.0.1`),
 * no port. Throws on something that is no host.
 */
export const normalizeHost = (host: string): string => {
  const trimmed = host.trim();
  const bracketed = trimmed.includes(":") && !trimmed.startsWith("[") ? `[${trimmed}]` : trimmed;
  const parsed = URL.parse(`http://${bracketed}/`);
  if (!parsed?.hostname || parsed.port || parsed.pathname !== "/" || parsed.username) {
    throw new Error(`'${host}' is not a host name or an IP address`);
  }
  return parsed.hostname.replace(/^\[|\]$/g, "");
};

/** The host of a URL in the form `normalizeHost` gives. */
export const hostOfUrl = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");
