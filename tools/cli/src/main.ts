import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { openDocumentStore } from "@reelgate/documents";
import { openEventStore } from "@reelgate/event-store";
import { loadConfig } from "@reelgate/service-kit";
import { rebuildReadModel, type StoresByService, verifyReadModel } from "./commands/read-model.ts";

const usage = `reelgate <command>

  rebuild   drop the task read model and rebuild it from every service's events
  verify    rebuild into a scratch copy and compare it with the live read model (exit 1 on a difference)

Reads the same variables as the services (REELGATE_DATA_DIR, MONGODB_URL). Options: --quiet (no progress bar).`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { quiet: { type: "boolean", default: false }, help: { type: "boolean" } },
});
const command = positionals[0];
if (values.help || !command || !["rebuild", "verify"].includes(command)) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const config = loadConfig();
const dataDir = resolve(config.REELGATE_DATA_DIR);
const open = (service: string) => openEventStore({ mongodbUrl: config.MONGODB_URL, dataDir, service });
const stores: StoresByService = [];
for (const service of ["ingress", "billing", "poller", "storage"]) stores.push([service, await open(service)]);
const documents = await openDocumentStore({ mongodbUrl: config.MONGODB_URL, dataDir, service: "ingress" });

let exitCode = 0;
try {
  if (command === "rebuild") {
    const events = await rebuildReadModel(documents, stores, values.quiet);
    console.log(`rebuilt the task read model from ${events} events`);
  } else {
    const { events, documentsCompared, differences } = await verifyReadModel(documents, stores, values.quiet);
    for (const difference of differences.slice(0, 20)) console.log(JSON.stringify(difference));
    console.log(
      `verified ${documentsCompared} documents against a rebuild from ${events} events: ${differences.length} differ`,
    );
    if (differences.length > 0) exitCode = 1;
  }
} finally {
  await documents.close();
  for (const [, store] of stores) await store.close();
}
process.exit(exitCode);
