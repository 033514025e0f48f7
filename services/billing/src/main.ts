import { documentSnapshots, startRuntime } from "@reelgate/runtime";
import { createLogger, loadCatalog, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { accountSnapshot } from "./domain/account.ts";
import { ledger } from "./handlers/ledger.ts";
import { billingRpcHandlers } from "./handlers/rpc.ts";

const config = loadConfig();
const log = createLogger("billing", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const catalog = loadCatalog(config);
    const runtime = await startRuntime({ service: "billing", config, log });
    const { names } = runtime;
    const billing = ledger({
      store: runtime.store,
      catalog,
      now: () => new Date(),
      onAppended: runtime.relay.notify,
      snapshots: await documentSnapshots(runtime.documents, "account_snapshots", accountSnapshot),
    });
    // Billing's handlers all run commands on account streams, and an account with many videos in flight is
    // one hot stream whose commands queue behind each other: more than 32 at once cost it more CPU per video
    // (measured), where the other services' consumers pull bigger batches for less (docs/architecture.md).
    const concurrency = 32;

    await runtime.consume({
      purpose: "reserve",
      concurrency,
      filterSubject: names.eventSubject("task", "VideoRequested"),
      handle: async (event) => {
        if (event.type === "VideoRequested") await billing.onVideoRequested(event);
      },
    });
    // One consumer per job event settled (nats-server 2.9 takes one filter subject per consumer): job.*
    // delivered every job event (queued, attempted, submitted, progress) for the one in four it settles.
    // "settle" took job.* before; "settle-failed" is split out of it and so is created first.
    await runtime.consume({
      purpose: "settle-failed",
      concurrency,
      splitFrom: "settle",
      filterSubject: names.eventSubject("job", "JobFailed"),
      handle: async (event) => {
        if (event.type === "JobFailed") await billing.onJobFailed(event);
      },
    });
    await runtime.consume({
      purpose: "settle",
      concurrency,
      filterSubject: names.eventSubject("job", "JobCompleted"),
      handle: async (event) => {
        if (event.type === "JobCompleted") await billing.onJobCompleted(event);
      },
    });
    runtime.serveCommands(billingRpcHandlers(billing));
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port }, "billing ready");
    return async () => {
      await http.close();
      await runtime.stop();
    };
  },
});
