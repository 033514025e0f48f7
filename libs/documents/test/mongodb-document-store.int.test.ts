import { describeOnMongo } from "@reelgate/testkit";
import { openMongoDocumentStore } from "../src/index.ts";
import { describeDocumentStoreContract } from "./contract-suite.ts";

// MONGODB_URL, else Testcontainers when a Docker engine answers, else one line saying why it is skipped.
await describeOnMongo("MongoDB document store contract", (url) => {
  // A prefix of this run's own, so runs against a shared server never meet.
  const prefix = `contract-${Date.now().toString(36)}.views.`;
  describeDocumentStoreContract("MongoDB", () => openMongoDocumentStore(url(), { collectionPrefix: prefix }));
});
