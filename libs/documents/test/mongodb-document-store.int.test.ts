import { describe } from "vitest";
import { describeDocumentStoreContract } from "../src/contract-suite.ts";
import { openMongoDocumentStore } from "../src/index.ts";

const url = process.env.MONGODB_URL;
if (!url) console.warn("SKIPPED: MongoDB document store contract: no MONGODB_URL and no Docker engine");

describe.skipIf(!url)("MongoDB", () => {
  // A prefix of this run's own, so runs against a shared server never meet.
  const prefix = `contract-${Date.now().toString(36)}.views.`;
  describeDocumentStoreContract("MongoDB", () => openMongoDocumentStore(url!, { collectionPrefix: prefix }));
});
