import { randomUUID } from "node:crypto";
import { describeOnMongo } from "@reelgate/testkit";
import { openMongoEventStore } from "../src/mongodb-event-store.ts";
import { describeEventStoreContract } from "./contract-suite.ts";

// MONGODB_URL, else Testcontainers when a Docker engine answers, else one line saying why it is skipped.
await describeOnMongo("MongoDB event store contract", (url) => {
  // A fresh prefix per run keeps runs apart on a shared database.
  const collectionPrefix = `test-${randomUUID().slice(0, 8)}.`;
  describeEventStoreContract("MongoDB", () =>
    openMongoEventStore(url(), { database: "reelgate-event-store-test", collectionPrefix }),
  );
});
