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

    await runtime.consume({
      purpose: "reserve",
      filterSubject: names.eventSubject("task", "VideoRequested"),
      handle: async (event) => {
        if (event.type === "VideoRequested") await billing.onVideoRequested(event);
      },
    });
    await runtime.consume({
      purpose: "settle",
      filterSubject: names.eventSubject("job", "*"),
      handle: async (event) => {
        if (event.type === "JobCompleted") await billing.onJobCompleted(event);
        else if (event.type === "JobFailed") await billing.onJobFailed(event);
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
