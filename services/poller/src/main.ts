import { builtInCatalog, modelNames } from "@reelgate/contracts";
import { openObjectStorage } from "@reelgate/object-storage";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { loadChannels, providerFor } from "@reelgate/upstream";
import { jobs } from "./handlers/jobs.ts";

const config = loadConfig();
const log = createLogger("poller", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const { channels, usingSimulator } = loadChannels({
      file: config.REELGATE_CHANNELS_FILE,
      simulatorUrl: config.REELGATE_SIMULATOR_URL,
      modelNames: modelNames(builtInCatalog),
    });
    if (usingSimulator)
      log.warn(
        { url: config.REELGATE_SIMULATOR_URL },
        "NO CHANNELS FILE: every job goes to the built-in upstream simulator",
      );
    const runtime = await startRuntime({ service: "poller", config, log });
    const { names } = runtime;
    const poller = jobs({
      store: runtime.store,
      objects: openObjectStorage(config, { dataDir: runtime.dataDir, now: () => new Date() }),
      channels: () => channels,
      providerFor,
      now: Date.now,
      random: Math.random,
      deadlineMs: config.REELGATE_JOB_DEADLINE_SECONDS * 1000,
      maxSubmitAttempts: 5,
      onAppended: runtime.relay.notify,
    });

    await runtime.consume({
      purpose: "intake",
      filterSubject: names.eventSubject("task", "VideoRequested"),
      handle: async (event) => {
        if (event.type === "VideoRequested") await poller.onVideoRequested(event);
      },
    });
    await runtime.consume({
      purpose: "submit",
      filterSubject: names.eventSubject("account", "FundsReserved"),
      maxDeliver: Number.POSITIVE_INFINITY,
      handle: async (event, ctx) =>
        event.type === "FundsReserved" ? poller.onFundsReserved(event, ctx.deliveryCount) : undefined,
    });
    await runtime.consume({
      purpose: "cancel",
      filterSubject: names.eventSubject("task", "VideoDeleted"),
      maxDeliver: Number.POSITIVE_INFINITY,
      handle: async (event) => (event.type === "VideoDeleted" ? poller.onVideoDeleted(event) : undefined),
    });
    await runtime.consume({
      purpose: "follow",
      filterSubject: names.eventSubject("job", "JobSubmitted"),
      maxDeliver: Number.POSITIVE_INFINITY,
      ackWaitMs: 15_000,
      concurrency: 256,
      handle: async (event) => (event.type === "JobSubmitted" ? poller.onJobSubmitted(event) : undefined),
    });
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port, channels: channels.map((channel) => channel.id) }, "poller ready");
    return async () => {
      await http.close();
      await runtime.stop();
    };
  },
});
