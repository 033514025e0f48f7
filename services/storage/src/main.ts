import { LATE_COMPLETION_WINDOW_MS } from "@reelgate/contracts";
import { whileWorking } from "@reelgate/messaging";
import { objectStorageReadiness, openObjectStorage } from "@reelgate/object-storage";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadCatalog, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { channelsSourceFromConfig, providerFor } from "@reelgate/upstream";
import { assetRecords } from "./handlers/asset-records.ts";
import { copyMedia } from "./handlers/copy-media.ts";
import { deleteMedia } from "./handlers/delete-media.ts";
import { noteInputImage } from "./handlers/note-input-image.ts";
import { startRetentionSweeps } from "./handlers/retention-sweep.ts";

const config = loadConfig();
const log = createLogger("storage", config.LOG_LEVEL);
/** A copy in flight says it is alive this often; a killed one is redelivered after the ack wait. */
const COPY_ACK_WAIT_MS = 10_000;
/** Leftovers of copies abandoned this long ago are removed at start (younger ones by their copy's retry). */
const STALE_UPLOAD_MS = 3_600_000;

await runService({
  log,
  async start() {
    const catalog = loadCatalog(config);
    // Followed live, as the poller does: a video completing on a channel added later is copied through it.
    const channels = channelsSourceFromConfig(config, catalog, { log });
    const runtime = await startRuntime({ service: "storage", config, log });
    const now = () => new Date();
    const objects = await openObjectStorage(config, { dataDir: runtime.dataDir, now });
    const records = assetRecords({ store: runtime.store, now, onAppended: runtime.relay.notify });
    const copy = copyMedia({ records, objects, channels: channels.current, providerFor, maxAttempts: 8 });
    const remove = deleteMedia({ records, objects });
    const noteInput = noteInputImage({ records, objects });

    objects
      .removeIncomplete("videos/", { startedBefore: new Date(now().getTime() - STALE_UPLOAD_MS) })
      .then((removed) => removed > 0 && log.info({ removed }, "removed stale partial uploads"))
      .catch((error: unknown) => log.warn({ err: error }, "could not look for stale partial uploads"));

    // One consumer per event type: nats-server 2.9 takes one filter subject per consumer.
    for (const [purpose, type] of [
      ["copy", "JobCompleted"],
      ["copy-late", "JobCompletedLate"],
    ] as const) {
      await runtime.consume({
        purpose,
        filterSubject: runtime.names.eventSubject("job", type),
        ackWaitMs: COPY_ACK_WAIT_MS,
        // A copy holds an upstream socket, a file or an upload's part buffers until it ends: at most 32 at once,
        // not the default 256 (a consumer's other handlers only write a row).
        concurrency: 32,
        handle: async (event, ctx) => {
          if (event.type !== "JobCompleted" && event.type !== "JobCompletedLate") return;
          await whileWorking(ctx.working, COPY_ACK_WAIT_MS / 3, () => copy(event, ctx.deliveryCount));
        },
      });
    }
    await runtime.consume({
      purpose: "inputs",
      filterSubject: runtime.names.eventSubject("task", "VideoRequested"),
      handle: async (event) => {
        if (event.type === "VideoRequested") await noteInput(event);
      },
    });
    await runtime.consume({
      purpose: "delete",
      filterSubject: runtime.names.eventSubject("task", "VideoDeleted"),
      handle: async (event) => {
        if (event.type !== "VideoDeleted") return;
        const { videoId, accountId } = event.data;
        await remove({ videoId, accountId, reason: "deleted by its owner", causationId: event.id });
      },
    });
    const stopSweeps =
      config.REELGATE_MEDIA_RETENTION_DAYS === undefined
        ? async () => {}
        : startRetentionSweeps({
            store: runtime.store,
            deleteMedia: remove,
            retentionDays: config.REELGATE_MEDIA_RETENTION_DAYS,
            // A video whose copy never settled (its job never completed) keeps its input image this long first.
            unsettledGraceMs: config.REELGATE_JOB_DEADLINE_SECONDS * 1000 + LATE_COMPLETION_WINDOW_MS,
            now,
            log,
          });

    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: [...runtime.readiness, objectStorageReadiness(objects)],
      metrics: runtime.metrics,
    });
    log.info({ port: http.port }, "storage ready");
    return async () => {
      await stopSweeps();
      await http.close();
      await runtime.stop();
      channels.close();
    };
  },
});
