/**
 * A process the relay crash test SIGKILLs at a chosen point (run with node, not vitest):
 *   append <db>                    appends one JobProgressed to the SQLite event store, says so, then hangs
 *   publish <db> <natsUrl> <ns>    also runs the relay, which publishes it but hangs instead of marking it published
 * Each step prints one JSON line on stdout; the parent kills the process after the line it waits for.
 */
import { randomUUID } from "node:crypto";
import { natsNames } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { pino } from "pino";
import { connectNats } from "../src/connect.ts";
import { startRelay } from "../src/relay.ts";

const [mode, dbPath, natsUrl, namespace] = process.argv.slice(2);
if (!dbPath || (mode !== "append" && mode !== "publish"))
  throw new Error("usage: append|publish <db> [natsUrl namespace]");
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const hang = () => new Promise<never>(() => setInterval(() => undefined, 60_000));

const store = openSqliteEventStore(dbPath);
const videoId = `video_${randomUUID().slice(0, 8)}`;
const id = randomUUID();
await store.append(
  `job-${videoId}`,
  [
    {
      id,
      type: "JobProgressed",
      schemaVersion: 1,
      data: { videoId, progress: 50 },
      occurredAt: new Date().toISOString(),
      correlationId: videoId,
      causationId: null,
      accountId: null,
    },
  ],
  { expectedVersion: 0 },
);
say({ appended: id, stream: `job-${videoId}` });

if (mode === "publish") {
  const nc = await connectNats({ url: natsUrl!, name: "outbox-crash-child", log: pino({ level: "silent" }) });
  startRelay({
    store: {
      unpublished: (limit) => store.unpublished(limit),
      // The PubAcks are in: the crash comes before the outbox learns of them.
      markPublished: async () => {
        say({ published: id });
        await hang();
      },
    },
    nc,
    names: natsNames(namespace),
    log: pino({ level: "silent" }),
  });
}
await hang();
