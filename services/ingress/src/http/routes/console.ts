import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** Where `npm run build -w web/console` writes the console. */
export const consoleDistDir = fileURLToPath(new URL("../../../../../web/console/dist/", import.meta.url));

/** The settings that say where signed media URLs point (see @reelgate/object-storage). */
export interface MediaOriginConfig {
  REELGATE_PUBLIC_URL?: string | undefined;
  S3_ENDPOINT?: string | undefined;
  S3_BUCKET?: string | undefined;
  S3_PUBLIC_BASE_URL?: string | undefined;
  S3_FORCE_PATH_STYLE?: string | undefined;
}

const originOf = (url: string) => new URL(url).origin;

/**
 * The origins a browser loads signed media from, besides ingress itself: the public base when one is set,
 * else the S3 endpoint (and its bucket subdomains when addressed by virtual host), or AWS's hosts;
 * for file storage `REELGATE_PUBLIC_URL`, which may name ingress by another host than the console's.
 */
export const mediaOrigins = (config: MediaOriginConfig): string[] => {
  if (config.S3_BUCKET) {
    if (config.S3_PUBLIC_BASE_URL) return [originOf(config.S3_PUBLIC_BASE_URL)];
    if (!config.S3_ENDPOINT) return ["https://*.amazonaws.com"];
    const endpoint = new URL(config.S3_ENDPOINT);
    const pathStyle = config.S3_FORCE_PATH_STYLE === "true" || config.S3_FORCE_PATH_STYLE === "1";
    return pathStyle ? [endpoint.origin] : [endpoint.origin, `${endpoint.protocol}//*.${endpoint.host}`];
  }
  return config.REELGATE_PUBLIC_URL ? [originOf(config.REELGATE_PUBLIC_URL)] : [];
};

/** No inline script or style, no eval, nothing framed; media and images from ingress, the media origins and blobs. */
export const consoleCsp = (origins: string[]) => {
  const media = ["'self'", "blob:", ...origins].join(" ");
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media} data:`,
    `media-src ${media}`,
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
};

/** The web console (web/console) at `/console`, under a strict Content-Security-Policy. */
export const consoleRoute = async (
  app: FastifyInstance,
  { media, distDir = consoleDistDir }: { media: MediaOriginConfig; distDir?: string },
) => {
  const csp = consoleCsp(mediaOrigins(media));
  const headers = (reply: { header(name: string, value: string): unknown }) => {
    reply.header("content-security-policy", csp);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
  };
  await app.register(async (scope) => {
    scope.addHook("onSend", async (_request, reply) => headers(reply));
    if (!existsSync(`${distDir}index.html`)) {
      scope.get("/console*", { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(503)
          .type("text/plain; charset=utf-8")
          .send("The console is not built: run `npm run build -w web/console` (npm start does it).\n"),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: distDir,
      prefix: "/console/",
      index: "index.html",
      cacheControl: false,
      // Hashed asset names never change content; index.html must be revalidated to find new ones.
      setHeaders: (response, path) =>
        response.setHeader(
          "cache-control",
          path.endsWith("index.html") ? "no-cache" : "public, max-age=31536000, immutable",
        ),
    });
    scope.get("/console", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));
  });
};
