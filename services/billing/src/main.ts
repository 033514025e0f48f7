import { builtInCatalog } from "@reelgate/contracts";
import { serveRpc } from "@reelgate/messaging";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { ledger } from "./handlers/ledger.ts";
import { billingRpcHandlers } from "./handlers/rpc.ts";

const config = loadConfig();
const log = createLogger("billing", config.LOG_LEVEL);

await runService({
  log,
  async start() {
    const runtime = await startRuntime({ service: "billing", config, log });
    const { names } = runtime;
    const billing = ledger({
      store: runtime.store,
      catalog: builtInCatalog,
      now: () => new Date(),
      onAppended: runtime.relay.notify,
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
    const rpc = billingRpcHandlers(billing);
    const servers = [
      serveRpc({
        nc: runtime.nc,
        subject: names.rpcSubject("billing", "openAccount"),
        queue: "billing",
        handle: rpc.openAccount,
        log,
      }),
      serveRpc({
        nc: runtime.nc,
        subject: names.rpcSubject("billing", "getAccount"),
        queue: "billing",
        handle: rpc.getAccount,
        log,
      }),
    ];
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port }, "billing ready");
    return async () => {
      await http.close();
      await Promise.all(servers.map((server) => server.stop()));
      await runtime.stop();
    };
  },
});
