import { parseOutboundAllow } from "@reelgate/outbound";
import { startRuntime } from "@reelgate/runtime";
import { createLogger, loadConfig, runService, startOperationsServer } from "@reelgate/service-kit";
import { ingressPublicStatus } from "./adapters/ingress-status.ts";
import { postWebhook } from "./adapters/outbound.ts";
import { parseRetrySchedule } from "./domain/retry-schedule.ts";
import { webhookDeliveries } from "./handlers/deliveries.ts";
import { webhookEndpoints } from "./handlers/endpoints.ts";
import { videoOutcomes } from "./handlers/outcomes.ts";
import { notifierRpcHandlers } from "./handlers/rpc.ts";
import { openNotifierStores } from "./handlers/stores.ts";
import { testDelivery } from "./handlers/test-delivery.ts";

const config = loadConfig();
const log = createLogger("notifier", config.LOG_LEVEL);
/** A POST has 10 s; the attempt's records and the ack come on top. A killed notifier's message comes back after this. */
const DELIVERY_ACK_WAIT_MS = 15_000;
/** Deliveries waiting out their retry delay are unacked messages too: room for many. */
const MAX_PENDING_DELIVERIES = 100_000;

await runService({
  log,
  async start() {
    const runtime = await startRuntime({ service: "notifier", config, log });
    const { names } = runtime;
    const now = () => new Date();
    const stores = await openNotifierStores(runtime.documents);
    // SPEC §2's REELGATE_OUTBOUND_ALLOW; a malformed entry stops the process here.
    const post = postWebhook(parseOutboundAllow(process.env.REELGATE_OUTBOUND_ALLOW));
    const onAppended = runtime.relay.notify;
    const endpoints = webhookEndpoints({ store: runtime.store, stores, now, onAppended });
    const deliveries = webhookDeliveries({
      store: runtime.store,
      stores,
      post,
      schedule: parseRetrySchedule(config.REELGATE_WEBHOOK_RETRY_SCHEDULE_MS),
      now,
      onAppended,
    });
    const publicStatus = ingressPublicStatus(runtime.nc, names);
    const outcomes = videoOutcomes({ stores, endpoints, deliveries, publicStatus, now });

    // The events a video's public status is made of, one consumer per event type (nats-server 2.9 takes one
    // filter subject per consumer; the rule reads events in any order). "outcome-job" and "outcome-asset"
    // took job.* and asset.* before, which delivered every job event (queued, attempted, submitted,
    // progress) and input-image note for none of them to matter; the consumers split out of them are
    // created first, starting where those had got to.
    for (const [purpose, subject, splitFrom] of [
      ["outcome-requested", names.eventSubject("task", "VideoRequested")],
      ["outcome-rejected", names.eventSubject("account", "ReservationRejected")],
      ["outcome-job-late", names.eventSubject("job", "JobCompletedLate"), "outcome-job"],
      ["outcome-job-failed", names.eventSubject("job", "JobFailed"), "outcome-job"],
      ["outcome-job", names.eventSubject("job", "JobCompleted")],
      ["outcome-asset-failed", names.eventSubject("asset", "MediaStorageFailed"), "outcome-asset"],
      ["outcome-asset-deleted", names.eventSubject("asset", "MediaDeleted"), "outcome-asset"],
      ["outcome-asset", names.eventSubject("asset", "MediaStored")],
    ] as const) {
      // A video whose GET lags its events waits (retries) rather than being dead-lettered after ten tries.
      await runtime.consume({ purpose, filterSubject: subject, splitFrom, maxDeliver: 200, handle: outcomes });
    }
    await runtime.consume({
      purpose: "deliver",
      filterSubject: names.eventSubject("delivery", "WebhookDeliveryScheduled"),
      maxDeliver: Number.POSITIVE_INFINITY,
      ackWaitMs: DELIVERY_ACK_WAIT_MS,
      maxAckPending: MAX_PENDING_DELIVERIES,
      concurrency: 64,
      handle: async (event) => (event.type === "WebhookDeliveryScheduled" ? deliveries.attempt(event) : undefined),
    });
    // Repairs an endpoint's view if the process died between appending and writing it.
    await runtime.consume({
      purpose: "endpoint-views",
      filterSubject: names.eventSubject("webhook", "*"),
      handle: async (event) => {
        const endpointId = (event.data as { endpointId?: string }).endpointId;
        if (endpointId) await endpoints.project(endpointId);
      },
    });

    const test = testDelivery({ endpoints, stores, post, now });
    runtime.serveCommands(notifierRpcHandlers(endpoints, deliveries, test));
    const http = await startOperationsServer({
      port: config.PORT,
      log,
      checks: runtime.readiness,
      metrics: runtime.metrics,
    });
    log.info({ port: http.port }, "notifier ready");
    return async () => {
      await http.close();
      await runtime.stop();
    };
  },
});
