import { join } from "node:path";
import { builtInCatalog, modelNames } from "@reelgate/contracts";
import { openObjectStorage } from "@reelgate/object-storage";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { loadChannels, providerFor } from "@reelgate/upstream";
import { copyMedia } from "./handlers/copy-media.ts";

const config = loadConfig();
const log = createLogger("storage", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const { channels } = loadChannels({
      file: config.REELGATE_CHANNELS_FILE,
      simulatorUrl: config.REELGATE_SIMULATOR_URL,
      modelNames: modelNames(builtInCatalog),
    });
    const runtime = await startRuntime({ service: "storage", config, log });
    const objects = openObjectStorage({ dataDir: runtime.dataDir });
    const copy = copyMedia({
      store: runtime.store,
      objects,
      channels: () => channels,
      providerFor,
      maxAttempts: 8,
      onAppended: runtime.relay.notify,
      now: () => new Date(),
    });
    await runtime.consume({
      purpose: "copy",
      filterSubject: runtime.names.eventSubject("job", "JobCompleted"),
      ackWaitMs: 60_000,
      handle: async (event, ctx) => {
        if (event.type === "JobCompleted") await copy(event, ctx.deliveryCount);
      },
    });
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port }, "storage ready");
    return async () => {
      await http.close();
      await runtime.stop();
    };
  },
});
