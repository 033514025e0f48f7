import { servicePermissions } from "@reelgate/messaging";
import { objectStorageReadiness, openObjectStorage, signedMediaUrl } from "@reelgate/object-storage";
import { outboundAllowEntries } from "@reelgate/outbound";
import { startRuntime } from "@reelgate/runtime";
import {
  createLogger,
  dataDirSecret,
  loadCatalog,
  loadConfig,
  runService,
  secretsDir,
  startOperationsServer,
} from "@reelgate/service-kit";
import { canDo, channelsSourceFromConfig, modelSupports } from "@reelgate/upstream";
import { natsBillingClient } from "./adapters/billing-client.ts";
import { natsDeadLetters } from "./adapters/dead-letters.ts";
import { inputImageReader } from "./adapters/input-image/index.ts";
import { natsNotifierClient } from "./adapters/notifier-client.ts";
import { upstreamCharacters } from "./adapters/upstream-characters.ts";
import { upstreamContent } from "./adapters/upstream-content.ts";
import { videoStatusCommand } from "./adapters/video-status-rpc.ts";
import { buildApp } from "./app.ts";
import { batchedProjection } from "./views/projection.ts";
import { openViews } from "./views/views.ts";

const config = loadConfig();
const log = createLogger("ingress", config.LOG_LEVEL);

/** What REELGATE_OUTBOUND_ALLOW (and the older REELGATE_FETCH_ALLOWED_CIDRS) exempt for input-image fetches. */
const inputImageExemptions = (config: { REELGATE_OUTBOUND_ALLOW?: string; REELGATE_FETCH_ALLOWED_CIDRS?: string }) => {
  const { cidrs, hosts } = outboundAllowEntries(
    [config.REELGATE_OUTBOUND_ALLOW, config.REELGATE_FETCH_ALLOWED_CIDRS].filter(Boolean).join(","),
  );
  return { allowedCidrs: cidrs, allowedHosts: hosts };
};

await runService({
  log,
  async start() {
    const catalog = loadCatalog(config);
    const runtime = await startRuntime({ service: "ingress", config, log });
    const views = await openViews(runtime.documents);
    // Unset: generated once and kept under the data dir, so a restart keeps the token and signed URLs.
    const adminToken = config.REELGATE_ADMIN_TOKEN ?? dataDirSecret(runtime.dataDir, "admin-token");
    const signingSecret = config.REELGATE_SIGNING_SECRET ?? dataDirSecret(runtime.dataDir, "signing-secret");
    if (!config.REELGATE_ADMIN_TOKEN || !config.REELGATE_SIGNING_SECRET)
      log.warn(
        { secrets: secretsDir(runtime.dataDir) },
        "REELGATE_ADMIN_TOKEN or REELGATE_SIGNING_SECRET is not set: using the ones generated under the data dir",
      );
    const objects = await openObjectStorage(
      { ...config, REELGATE_SIGNING_SECRET: signingSecret },
      { dataDir: runtime.dataDir, now: () => new Date() },
    );
    // Followed live: the upstream-content fallback uses a channel's current key and URL.
    const channels = channelsSourceFromConfig(config, catalog, { log });

    await runtime.consume({
      purpose: "projection",
      filterSubject: runtime.names.eventsWildcard,
      // The events of one pull are projected together (one read and one write per video, one commit), so a
      // larger pull is a cheaper one: with a backlog, 256 at a time cost ~40% less CPU per video than 64.
      concurrency: 256,
      // Never waits for another event (any order is fine), so nothing here is dead-lettered for waiting.
      handle: batchedProjection(views),
    });
    const app = await buildApp({
      store: runtime.store,
      views,
      objects,
      billing: natsBillingClient(runtime.nc, runtime.names),
      notifier: natsNotifierClient(runtime.nc, runtime.names),
      // Replays over HTTP only what ingress's NATS user may publish (docs/security.md).
      deadLetters: natsDeadLetters(
        runtime.nc,
        runtime.names,
        servicePermissions(config.REELGATE_NAMESPACE).ingress ?? { publish: [], subscribe: [] },
      ),
      catalog,
      adminToken,
      log,
      metrics: runtime.metrics,
      now: () => new Date(),
      onAppended: runtime.relay.notify,
      images: inputImageReader({
        maxBytes: config.REELGATE_INPUT_IMAGE_MAX_BYTES,
        timeoutMs: config.REELGATE_FETCH_TIMEOUT_MS,
        maxRedirects: 3,
        // REELGATE_OUTBOUND_ALLOW (SPEC §2); the older REELGATE_FETCH_ALLOWED_CIDRS still counts.
        ...inputImageExemptions(config),
        maxFetchesPerAccount: config.REELGATE_IMAGE_FETCHES_PER_ACCOUNT,
        maxFetches: config.REELGATE_IMAGE_FETCHES_TOTAL,
      }),
      playableUrl: async (view) => {
        const stored = view.assets.video?.stored;
        if (!stored || view.mediaDeleted) return null;
        return signedMediaUrl(objects, stored.key, { expiresInSeconds: config.REELGATE_SIGNED_URL_TTL_SECONDS });
      },
      signingSecret,
      upstreamContent: upstreamContent(channels.current),
      supports: (model, operation) => modelSupports(channels.current(), model, operation),
      // Edits and extensions are pinned to the channel that made the source: its provider must be able to.
      channelSupports: (channelId, operation) => {
        const channel = channels.current().find((candidate) => candidate.id === channelId);
        return channel ? canDo(channel.provider, operation) : undefined;
      },
      characterMaker: upstreamCharacters(channels.current),
      bodyLimitBytes: config.REELGATE_BODY_LIMIT_BYTES,
      rateLimitPerMinute: config.REELGATE_RATE_LIMIT_PER_MINUTE,
      rateLimits: {
        authFailuresPerMinute: config.REELGATE_AUTH_FAILURES_PER_MINUTE,
        adminPerMinute: config.REELGATE_ADMIN_RATE_LIMIT_PER_MINUTE,
        mediaPerMinute: config.REELGATE_MEDIA_RATE_LIMIT_PER_MINUTE,
        replicas: config.REELGATE_INGRESS_REPLICAS,
      },
      trustProxy:
        config.REELGATE_TRUST_PROXY === undefined || config.REELGATE_TRUST_PROXY === "false"
          ? false
          : config.REELGATE_TRUST_PROXY === "true" ||
            config.REELGATE_TRUST_PROXY.split(",").map((entry) => entry.trim()),
      channels: channels.current,
      jobDeadlineMs: config.REELGATE_JOB_DEADLINE_SECONDS * 1000,
      console: { media: config },
    });
    runtime.serveCommands(videoStatusCommand(views));
    await app.listen({ port: config.PORT, host: "0.0.0.0" });
    // Operations on their own port, so the public one serves only the API (probes and scrapers use this one).
    const operations = await startOperationsServer({
      port: config.REELGATE_OPERATIONS_PORT ?? (config.PORT === 0 ? 0 : config.PORT + 1),
      log,
      checks: [...runtime.readiness, objectStorageReadiness(objects)],
      metrics: runtime.metrics,
    });
    log.info({ port: config.PORT, operationsPort: operations.port }, "ingress ready");
    return async () => {
      await app.close();
      await operations.close();
      await runtime.stop();
      channels.close();
    };
  },
});
