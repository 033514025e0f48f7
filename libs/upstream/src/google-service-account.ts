import { readFileSync } from "node:fs";
import type { JWT } from "google-auth-library";
import { UpstreamError } from "./provider.ts";

const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

interface KeyFile {
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
}

/**
 * OAuth2 access tokens for a service-account key file, through google-auth-library (it signs the
 * JWT-bearer assertion, caches the token and refreshes it before it expires). The library always asks
 * Google's token endpoint; the key file's `token_uri` is honoured by sending that one request there instead
 * (a private-cloud endpoint, or the simulator in tests).
 */
const clientFor = async (keyFilePath: string) => {
  const key = JSON.parse(readFileSync(keyFilePath, "utf8")) as KeyFile;
  if (!key.client_email || !key.private_key)
    throw new Error("not a service-account key (client_email and private_key missing)");
  // Loaded with the first Vertex channel's first token, not by every process that imports the providers
  // (~22 MiB of RSS in a poller with no Vertex channel).
  const { JWT } = await import("google-auth-library");
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
    scopes: [CLOUD_PLATFORM],
  });
  const tokenUri = key.token_uri;
  if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL)
    client.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (String(config.url) === GOOGLE_TOKEN_URL) config.url = new URL(tokenUri);
        return config;
      },
    });
  return client;
};

/**
 * The key file is read at the first token: a missing or broken one is a retryable error naming it (the job
 * fails over to another channel; the log says which file), not a crash of whoever made the provider.
 */
export const serviceAccountTokens = (keyFilePath: string) => {
  // The promise, so that concurrent first tokens share one client (and its one token request).
  let pending: Promise<JWT> | undefined;
  return {
    /** A current access token; a refused key is a non-retryable 401, an unreachable endpoint retryable. */
    async token(): Promise<string> {
      let client: JWT;
      try {
        pending ??= clientFor(keyFilePath);
        client = await pending;
      } catch (error) {
        pending = undefined;
        throw new UpstreamError(`vertex key_file ${keyFilePath}: ${(error as Error).message}`, { retryable: true });
      }
      try {
        const { token } = await client.getAccessToken();
        if (!token) throw new Error("the token endpoint answered no access_token");
        return token;
      } catch (error) {
        const status = (error as { response?: { status?: number } }).response?.status;
        const refused = status !== undefined && status >= 400 && status < 500;
        throw new UpstreamError(`oauth token: ${(error as Error).message}`, {
          ...(status === undefined ? {} : { status: refused ? 401 : status }),
          retryable: !refused,
          upstreamMessage: "The upstream refused the channel's service-account credentials.",
          ...(refused ? { upstreamCode: "invalid_credentials" } : {}),
        });
      }
    },
  };
};
