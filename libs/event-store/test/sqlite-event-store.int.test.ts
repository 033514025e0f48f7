import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openSqliteEventStore } from "../src/sqlite-event-store.ts";
import { describeEventStoreContract } from "./contract-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-event-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every open() is a new connection to the same file, as a CLI replaying beside a running service would be.
describeEventStoreContract("SQLite", async () => openSqliteEventStore(join(dir, "events.db")));
