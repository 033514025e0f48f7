/**
 * MongoDB for a contract suite, found in the order ARCHITECTURE.md gives: an explicit MONGODB_URL,
 * then Testcontainers when a Docker engine answers. Otherwise the suite is skipped with one line
 * that says why (no engine, or an engine but no Testcontainers module).
 */
import { afterAll, beforeAll, describe } from "vitest";
import { dockerEngine } from "./docker.ts";

export interface TestMongo {
  /** Why the suite is skipped, or null when MongoDB can be had. */
  skipReason: string | null;
  /** The connection string: MONGODB_URL, or a container started now (call from beforeAll). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

interface StartedMongo {
  getConnectionString(): string;
  stop(): Promise<unknown>;
}

export const testMongo = async (suite: string, image = "mongo:8"): Promise<TestMongo> => {
  const envUrl = process.env.MONGODB_URL;
  if (envUrl) return { skipReason: null, start: async () => envUrl, stop: async () => undefined };

  const engine = await dockerEngine();
  let skipReason: string | null = null;
  let module: typeof import("@testcontainers/mongodb") | undefined;
  if (!engine.answers) {
    skipReason = `no MONGODB_URL and no Docker engine (${engine.reason})`;
  } else {
    try {
      module = await import("@testcontainers/mongodb");
    } catch (error) {
      skipReason = `no MONGODB_URL; a Docker engine answers but @testcontainers/mongodb does not load (${(error as Error).message})`;
    }
  }
  if (skipReason) console.warn(`SKIPPED: ${suite}: ${skipReason}`);

  let container: StartedMongo | undefined;
  return {
    skipReason,
    async start() {
      if (!module) throw new Error(`${suite}: ${skipReason}`);
      // A Docker engine answers: a failure to start MongoDB is a failure, not a skip.
      container = await new module.MongoDBContainer(image).start();
      // The container runs a one-member replica set announced by its internal host name.
      return `${container.getConnectionString()}?directConnection=true`;
    },
    async stop() {
      await container?.stop();
      container = undefined;
    },
  };
};

/**
 * A suite that runs on MongoDB when one can be had (see testMongo) and is skipped with its reason
 * otherwise. `body` gets the connection string through a getter: it is known once the suite starts.
 */
export const describeOnMongo = async (suite: string, body: (url: () => string) => void) => {
  const mongo = await testMongo(suite);
  describe.skipIf(mongo.skipReason !== null)(suite, () => {
    let url = "";
    beforeAll(async () => {
      url = await mongo.start();
    }, 120_000);
    afterAll(() => mongo.stop());
    body(() => url);
  });
};
