import { randomUUID } from "node:crypto";
import { testMongo } from "@reelgate/testkit";
import { afterAll, beforeAll, describe } from "vitest";
import { describeEventStoreContract } from "../src/contract-suite.ts";
import { openMongoEventStore } from "../src/mongodb-event-store.ts";

// MONGODB_URL, else Testcontainers when a Docker engine answers, else one line saying why it is skipped.
const mongo = await testMongo("MongoDB event store contract");

describe.skipIf(mongo.skipReason !== null)("MongoDB event store", () => {
  let url = "";
  beforeAll(async () => {
    url = await mongo.start();
  }, 120_000);
  afterAll(async () => {
    await mongo.stop();
  });

  // A fresh prefix per run keeps runs apart on a shared database.
  const collectionPrefix = `test-${randomUUID().slice(0, 8)}.`;
  describeEventStoreContract("MongoDB", () =>
    openMongoEventStore(url, { database: "reelgate-event-store-test", collectionPrefix }),
  );
});
