import { testMongo } from "@reelgate/testkit";
import { afterAll, beforeAll, describe } from "vitest";
import { describeDocumentStoreContract } from "../src/contract-suite.ts";
import { openMongoDocumentStore } from "../src/index.ts";

// MONGODB_URL, else Testcontainers when a Docker engine answers, else one line saying why it is skipped.
const mongo = await testMongo("MongoDB document store contract");

describe.skipIf(mongo.skipReason !== null)("MongoDB", () => {
  let url = "";
  beforeAll(async () => {
    url = await mongo.start();
  }, 120_000);
  afterAll(async () => {
    await mongo.stop();
  });
  // A prefix of this run's own, so runs against a shared server never meet.
  const prefix = `contract-${Date.now().toString(36)}.views.`;
  describeDocumentStoreContract("MongoDB", () => openMongoDocumentStore(url, { collectionPrefix: prefix }));
});
