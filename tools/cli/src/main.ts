import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { natsNames } from "@reelgate/contracts";
import { openDocumentStore } from "@reelgate/documents";
import { openEventStore } from "@reelgate/event-store";
import { openViews } from "@reelgate/ingress";
import { connectNats, inboxPrefixOf } from "@reelgate/messaging";
import { createLogger, loadConfig, secretsDir } from "@reelgate/service-kit";
import { loadChannels, providerFor } from "@reelgate/upstream";
import { checkChannels, formatChecks } from "./commands/channels-check.ts";
import { describeDeadLetter, listDeadLetters, replayDeadLetters } from "./commands/dead-letters.ts";
import {
  exportLedger,
  formatVerifySummary,
  replayLedger,
  SNAPSHOT_COLLECTION,
  type SnapshotDocument,
  verifyLedger,
} from "./commands/ledger.ts";
import { rebuildReadModel, type StoresByService, verifyReadModel } from "./commands/read-model.ts";

const usage = `reelgate <command>

  rebuild          drop the task read model and rebuild it from every service's events
  verify           rebuild into a scratch copy and compare it with the live read model (exit 1 on a difference)

  ledger export [--account <accountId>]
                   billing's account events (one account's, or every account's) as JSON lines on stdout, oldest first
  ledger replay [--quiet] [--drop-snapshots]
                   fold every account event and rewrite ingress's balance view from it;
                   --drop-snapshots also drops billing's account snapshots (a cache, rebuilt from events)
  ledger verify [--quiet]
                   fold every account event and check the events' recorded totals, the reservations,
                   the balance view and billing's snapshots against it; one JSON line per mismatch,
                   then a summary (exit 1 on any mismatch)

  channels check    ask each configured channel something free (no paid job) to learn whether it answers
                   and takes its credentials; a table of results (exit 1 when any is refused or unreachable)

  dead-letters list [--service <name>]
                   every message a consumer set aside (oldest first), one JSON line each: its sequence,
                   service, consumer, event and reason; then a count
  dead-letters replay [--service <name>] [--seq <n> ...]
                   republish the dead letters (all, one service's, or the given sequences) on their original
                   subjects and remove them from the dead letters; one that fails again is dead-lettered again

Reads the same variables as the services (REELGATE_DATA_DIR, MONGODB_URL, NATS_URL, REELGATE_NAMESPACE). --quiet: no progress bar (on stderr).
Exit codes: 0 fine, 1 a difference or mismatch, 2 a wrong call.`;

const wrongCall = (problem?: string): never => {
  if (problem) console.error(problem);
  console.error(usage);
  process.exit(2);
};

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      quiet: { type: "boolean", default: false },
      help: { type: "boolean" },
      account: { type: "string" },
      "drop-snapshots": { type: "boolean", default: false },
      service: { type: "string" },
      seq: { type: "string", multiple: true },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  wrongCall((error as Error).message);
}
const { positionals, values } = parsed!;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const [command, subcommand, ...extra] = positionals;
const ledgerCall = command === "ledger";
const deadLettersCall = command === "dead-letters";
const channelsCall = command === "channels";
const sequences = values.seq?.map(Number);
if (
  !command ||
  !["rebuild", "verify", "ledger", "dead-letters", "channels"].includes(command) ||
  (channelsCall && (subcommand !== "check" || extra.length > 0)) ||
  (ledgerCall
    ? !["export", "replay", "verify"].includes(subcommand ?? "") || extra.length > 0
    : deadLettersCall
      ? !["list", "replay"].includes(subcommand ?? "") || extra.length > 0
      : subcommand && !channelsCall) ||
  ((values.service !== undefined || sequences) && !deadLettersCall) ||
  (sequences && (subcommand !== "replay" || sequences.some((n) => !Number.isSafeInteger(n) || n < 1))) ||
  values.service === "" ||
  (values.account !== undefined && !(ledgerCall && subcommand === "export")) ||
  (values["drop-snapshots"] && !(ledgerCall && subcommand === "replay")) ||
  values.account === ""
)
  wrongCall();

const config = loadConfig();
const dataDir = resolve(config.REELGATE_DATA_DIR);
const open = (service: string) => openEventStore({ mongodbUrl: config.MONGODB_URL, dataDir, service });
const openDocuments = (service: string) => openDocumentStore({ mongodbUrl: config.MONGODB_URL, dataDir, service });

const runLedger = async (): Promise<number> => {
  const store = await open("billing");
  const closing: Array<{ close(): Promise<void> }> = [store];
  try {
    if (subcommand === "export") {
      const count = await exportLedger(store, process.stdout, values.account);
      if (values.account !== undefined && count === 0) {
        console.error(`account ${values.account} has no billing events`);
        return 1;
      }
      return 0;
    }
    const ingress = await openDocuments("ingress");
    closing.push(ingress);
    const billing = await openDocuments("billing");
    closing.push(billing);
    if (subcommand === "replay") {
      const { balances } = await openViews(ingress);
      const snapshots = values["drop-snapshots"]
        ? await billing.collection<SnapshotDocument>(SNAPSHOT_COLLECTION, { indexes: [] })
        : undefined;
      const result = await replayLedger(store, balances, { quiet: values.quiet, snapshots });
      console.log(
        `replayed ${result.events} events of ${result.balances.size} accounts in ${result.seconds.toFixed(2)} s ` +
          `(${Math.round(result.events / Math.max(result.seconds, 1e-9))} events/s); ` +
          `wrote ${result.written} balance views, removed ${result.removed} of accounts without events` +
          (snapshots ? `; dropped ${result.snapshotsDropped} account snapshots` : ""),
      );
      return 0;
    }
    const summary = await verifyLedger(
      store,
      { ingress, billing },
      { quiet: values.quiet, onMismatch: (mismatch) => console.log(JSON.stringify(mismatch)) },
    );
    console.log(formatVerifySummary(summary));
    return summary.mismatches > 0 ? 1 : 0;
  } finally {
    for (const closable of closing.reverse()) await closable.close();
  }
};

const runReadModel = async (): Promise<number> => {
  const stores: StoresByService = [];
  for (const service of ["ingress", "billing", "poller", "storage"]) stores.push([service, await open(service)]);
  const documents = await openDocuments("ingress");
  try {
    if (command === "rebuild") {
      const events = await rebuildReadModel(documents, stores, values.quiet);
      console.log(`rebuilt the task read model from ${events} events`);
      return 0;
    }
    const { events, documentsCompared, differences } = await verifyReadModel(documents, stores, values.quiet);
    for (const difference of differences.slice(0, 20)) console.log(JSON.stringify(difference));
    console.log(
      `verified ${documentsCompared} documents against a rebuild from ${events} events: ${differences.length} differ`,
    );
    return differences.length > 0 ? 1 : 0;
  } finally {
    await documents.close();
    for (const [, store] of stores) await store.close();
  }
};

/**
 * NATS_USER/NATS_PASSWORD or NATS_CREDS when given; otherwise, next to `npm start`'s own nats-server, the
 * operator user the launcher keeps under the data dir.
 */
const cliNatsCredentials = () => {
  if (config.NATS_USER || config.NATS_CREDS) return config;
  const operator = join(secretsDir(config.REELGATE_DATA_DIR), "nats-operator");
  return existsSync(operator) ? { NATS_USER: "operator", NATS_PASSWORD: readFileSync(operator, "utf8").trim() } : {};
};

const runChannelsCheck = async (): Promise<number> => {
  const { channels, usingSimulator } = loadChannels({
    file: config.REELGATE_CHANNELS_FILE,
    simulatorUrl: config.REELGATE_SIMULATOR_URL,
    modelNames: [],
  });
  if (usingSimulator) console.log("REELGATE_CHANNELS_FILE is not set: checking the built-in simulator channel");
  const rows = await checkChannels(channels, providerFor);
  console.log(formatChecks(rows));
  return rows.some((row) => row.outcome === "refused" || row.outcome === "unreachable" || row.outcome === "failed")
    ? 1
    : 0;
};

const runDeadLetters = async (): Promise<number> => {
  const names = natsNames(config.REELGATE_NAMESPACE);
  const credentials = cliNatsCredentials();
  const nc = await connectNats({
    url: config.NATS_URL ?? "nats://127.0.0.1:4222",
    name: "reelgate-cli",
    credentials,
    // As a service's own user (replaying its dead letters), answers may come only to that service's inboxes.
    ...(credentials.NATS_USER ? { inboxPrefix: inboxPrefixOf(credentials.NATS_USER) } : {}),
    // Silent: stdout carries the results; a NATS that cannot be reached fails the command instead.
    log: createLogger("cli", "silent"),
  });
  try {
    const selection = { service: values.service, sequences, quiet: values.quiet };
    if (subcommand === "list") {
      const letters = await listDeadLetters(nc, names, selection);
      for (const letter of letters) console.log(JSON.stringify(describeDeadLetter(letter)));
      console.log(`${letters.length} dead letters${values.service ? ` of ${values.service}` : ""}`);
      return 0;
    }
    const replayed = await replayDeadLetters(nc, names, selection);
    console.log(`replayed ${replayed.length} dead letters`);
    if (sequences && replayed.length < new Set(sequences).size) {
      console.error("some of the given sequences are not dead letters (already replayed?)");
      return 1;
    }
    return 0;
  } finally {
    await nc.drain().catch(() => undefined);
  }
};

const exitCode = channelsCall
  ? await runChannelsCheck()
  : ledgerCall
    ? await runLedger()
    : deadLettersCall
      ? await runDeadLetters()
      : await runReadModel();
// Let stdout drain (a pipe may still hold the end of an export) before the process ends.
await new Promise((done) => process.stdout.write("", done));
process.exit(exitCode);
