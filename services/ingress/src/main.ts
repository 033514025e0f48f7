import { randomBytes } from "node:crypto";
import { objectStorageReadiness, openObjectStorage, signedMediaUrl } from "@reelgate/object-storage";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadCatalog, loadConfig, runService } from "@reelgate/service-kit";
import { channelsSourceFromConfig, modelSupports } from "@reelgate/upstream";
import { natsBillingClient } from "./adapters/billing-client.ts";
import { inputImageReader } from "./adapters/input-image/index.ts";
import { upstreamContent } from "./adapters/upstream-content.ts";
import { buildApp } from "./app.ts";
import { projectEvent } from "./views/projection.ts";
import { openViews } from "./views/views.ts";

const config = loadConfig();
const log = createLogger("ingress", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const catalog = loadCatalog(config);
    const runtime = await startRuntime({ service: "ingress", config, log });
    const views = await openViews(runtime.documents);
    const adminToken = config.REELGATE_ADMIN_TOKEN ?? randomBytes(24).toString("base64url");
    if (!config.REELGATE_ADMIN_TOKEN)
      log.warn({ adminToken }, "REELGATE_ADMIN_TOKEN is not set: generated this admin token for this run");

    const signingSecret = config.REELGATE_SIGNING_SECRET ?? randomBytes(32).toString("base64url");
    if (!config.REELGATE_SIGNING_SECRET)
      log.warn("REELGATE_SIGNING_SECRET is not set: media URLs signed now stop working when ingress restarts");
    const objects = openObjectStorage(
      { ...config, REELGATE_SIGNING_SECRET: signingSecret },
      { dataDir: runtime.dataDir, now: () => new Date() },
    );
    // Followed live: the upstream-content fallback uses a channel's current key and URL.
    const channels = channelsSourceFromConfig(config, catalog, { log });

    await runtime.consume({
      purpose: "projection",
      filterSubject: runtime.names.eventsWildcard,
      concurrency: 64,
      handle: async (event) =>
        (await projectEvent(views, event)) === "waiting-for-request" ? { retryInMs: 250 } : undefined,
    });
    const app = await buildApp({
      store: runtime.store,
      views,
      objects,
      billing: natsBillingClient(runtime.nc, runtime.names),
      catalog,
      adminToken,
      log,
      metrics: runtime.metrics,
      checks: [...runtime.readiness, objectStorageReadiness(objects)],
      now: () => new Date(),
      onAppended: runtime.relay.notify,
      images: inputImageReader({
        maxBytes: config.REELGATE_INPUT_IMAGE_MAX_BYTES,
        timeoutMs: config.REELGATE_FETCH_TIMEOUT_MS,
        maxRedirects: 3,
        allowedCidrs: config.REELGATE_FETCH_ALLOWED_CIDRS?.split(",").map((cidr) => cidr.trim()) ?? [],
      }),
      playableUrl: async (view) => {
        const stored = view.assets.video?.stored;
        if (!stored || view.mediaDeleted) return null;
        return signedMediaUrl(objects, stored.key, { expiresInSeconds: config.REELGATE_SIGNED_URL_TTL_SECONDS });
      },
      signingSecret,
      upstreamContent: upstreamContent(channels.current),
      supports: (model, operation) => modelSupports(channels.current(), model, operation),
      bodyLimitBytes: config.REELGATE_BODY_LIMIT_BYTES,
      rateLimitPerMinute: config.REELGATE_RATE_LIMIT_PER_MINUTE,
    });
    await app.listen({ port: config.PORT, host: "0.0.0.0" });
    log.info({ port: config.PORT }, "ingress ready");
    return async () => {
      await app.close();
      await runtime.stop();
      channels.close();
    };
  },
});
