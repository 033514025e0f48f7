import { flushCompileCache } from "node:module";
import { LATE_COMPLETION_WINDOW_MS } from "@reelgate/contracts";
import { openObjectStorage } from "@reelgate/object-storage";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadCatalog, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { channelsSourceFromConfig, describeChannel, providerFor } from "@reelgate/upstream";
import { openChannelBucket } from "./adapters/channel-bucket.ts";
import { channelCoolDowns } from "./adapters/channel-cooldowns.ts";
import { channelSlots } from "./adapters/channel-slots.ts";
import { crashPoint } from "./adapters/crash-point.ts";
import { followClaims } from "./adapters/follow-claims.ts";
import { jobs } from "./handlers/jobs.ts";

const config = loadConfig();
const log = createLogger("poller", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const catalog = loadCatalog(config);
    // A bad file at start stops the process (channelsSourceFromConfig threw); a bad edit later keeps the last good one.
    const source = channelsSourceFromConfig(config, catalog, { log });
    if (source.usingSimulator)
      log.warn(
        { url: config.REELGATE_SIMULATOR_URL },
        "NO CHANNELS FILE: every job goes to the built-in upstream simulator",
      );
    const channels = source.current;

    const runtime = await startRuntime({ service: "poller", config, log });
    const { names } = runtime;
    const bucket = await runtime.whileStarting("channel bucket", () =>
      openChannelBucket(runtime.nc, config.REELGATE_NAMESPACE),
    );
    const coolDowns = await runtime.whileStarting("channel cool-downs", () => channelCoolDowns(bucket));
    const poller = jobs({
      store: runtime.store,
      objects: await openObjectStorage(config, { dataDir: runtime.dataDir, now: () => new Date() }),
      channels,
      providerFor,
      slots: channelSlots(bucket, {
        isDone: (videoId, channelId) => poller.holdsNoSlot(videoId, channelId),
        now: Date.now,
      }),
      coolDowns,
      follows: followClaims(bucket),
      now: Date.now,
      random: Math.random,
      deadlineMs: config.REELGATE_JOB_DEADLINE_SECONDS * 1000,
      lateWindowMs: LATE_COMPLETION_WINDOW_MS,
      maxSubmitAttempts: 5,
      onAppended: runtime.relay.notify,
      crashPoint: crashPoint(process.env),
    });

    await runtime.consume({
      purpose: "intake",
      // Each intake loads and appends to a job stream of its own: 32 at once, not the default 256, keeps the
      // poller holding 10,000 jobs within its memory (measured: 186 against 202 MiB with 256).
      concurrency: 32,
      filterSubject: names.eventSubject("task", "VideoRequested"),
      handle: async (event) => {
        if (event.type === "VideoRequested") await poller.onVideoRequested(event);
      },
    });
    await runtime.consume({
      purpose: "submit",
      filterSubject: names.eventSubject("account", "FundsReserved"),
      maxDeliver: Number.POSITIVE_INFINITY,
      // A chat job holds its handler for the whole stream: room for many at once.
      concurrency: 512,
      maxAckPending: 50_000,
      handle: async (event, ctx) => (event.type === "FundsReserved" ? poller.onFundsReserved(event, ctx) : undefined),
    });
    await runtime.consume({
      purpose: "cancel",
      filterSubject: names.eventSubject("task", "VideoDeleted"),
      maxDeliver: Number.POSITIVE_INFINITY,
      handle: async (event, ctx) => (event.type === "VideoDeleted" ? poller.onVideoDeleted(event, ctx) : undefined),
    });
    await runtime.consume({
      purpose: "follow",
      filterSubject: names.eventSubject("job", "JobSubmitted"),
      maxDeliver: Number.POSITIVE_INFINITY,
      ackWaitMs: 15_000,
      concurrency: 256,
      // Every job in flight is one unacked message waiting out its nak delay.
      maxAckPending: 100_000,
      handle: async (event, ctx) => (event.type === "JobSubmitted" ? poller.onJobSubmitted(event, ctx) : undefined),
    });
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port, channels: channels().map(describeChannel) }, "poller ready");
    // With NODE_COMPILE_CACHE (the launcher, deploy/k8s): every module is loaded by now; written now, the cache serves
    // the next start even if this process is killed rather than stopped.
    flushCompileCache();
    return async () => {
      source.close();
      await http.close();
      await runtime.stop();
      coolDowns.stop();
    };
  },
});
