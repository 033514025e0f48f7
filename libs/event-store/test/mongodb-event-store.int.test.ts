import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe } from "vitest";
import { describeEventStoreContract } from "../src/contract-suite.ts";
import { openMongoEventStore } from "../src/mongodb-event-store.ts";

interface StartedMongo {
  getConnectionString(): string;
  stop(): Promise<unknown>;
}
interface TestcontainersMongo {
  MongoDBContainer: new (image: string) => { start(): Promise<StartedMongo> };
}

const dockerAnswers = () =>
  existsSync("/var/run/docker.sock") &&
  spawnSync("docker", ["info"], { stdio: "ignore", timeout: 15_000 }).status === 0;

/** Testcontainers is optional: not a dependency of the repo, used where a developer has it and Docker. */
const loadTestcontainers = async (): Promise<TestcontainersMongo | undefined> => {
  const name = "@testcontainers/mongodb"; // a variable, so neither tsc nor Vite resolve it up front
  try {
    return (await import(name)) as TestcontainersMongo;
  } catch {
    return undefined;
  }
};

const envUrl = process.env.MONGODB_URL;
const testcontainers = envUrl ? undefined : dockerAnswers() ? await loadTestcontainers() : undefined;
const skip = !envUrl && !testcontainers;
if (skip) console.warn("SKIPPED: MongoDB event store contract: no MONGODB_URL and no Docker engine");

describe.skipIf(skip)("MongoDB event store", () => {
  let url = envUrl ?? "";
  let container: StartedMongo | undefined;
  beforeAll(async () => {
    if (envUrl || !testcontainers) return;
    container = await new testcontainers.MongoDBContainer("mongo:8").start();
    // The container runs a one-member replica set announced by its internal host name.
    url = `${container.getConnectionString()}?directConnection=true`;
  }, 120_000);
  afterAll(async () => {
    await container?.stop();
  });

  // A fresh prefix per run keeps runs apart on a shared database.
  const collectionPrefix = `test-${randomUUID().slice(0, 8)}.`;
  describeEventStoreContract("MongoDB", () =>
    openMongoEventStore(url, { database: "reelgate-event-store-test", collectionPrefix }),
  );
});
