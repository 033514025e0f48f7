import { describeOnMongo } from "@reelgate/testkit";
import { MongoClient } from "mongodb";
import { openMongoDocumentStore } from "../src/index.ts";
import { describeDocumentStoreContract } from "./contract-suite.ts";

// MONGODB_URL, else Testcontainers when a Docker engine answers, else one line saying why it is skipped.
await describeOnMongo("MongoDB document store contract", (url) => {
  // A prefix of this run's own, so runs against a shared server never meet.
  const prefix = `contract-${Date.now().toString(36)}.views.`;
  describeDocumentStoreContract(
    "MongoDB",
    () => openMongoDocumentStore(url(), { collectionPrefix: prefix }),
    async (collection) => {
      const client = await MongoClient.connect(url());
      try {
        const indexes = await client.db().collection(`${prefix}${collection}`).listIndexes().toArray();
        return indexes
          .filter((index) => index.name !== "_id_")
          .map((index) => Object.keys(index.key).filter((field) => field !== "_id"))
          .sort((a, b) => a.join(",").localeCompare(b.join(",")));
      } finally {
        await client.close();
      }
    },
  );
});
