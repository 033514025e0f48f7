import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openEventStore } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-open-event-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openEventStore", () => {
  it("opens the service's SQLite file under dataDir when no MongoDB is configured", async () => {
    const dataDir = join(dir, "nested", "data");
    const store = await openEventStore({ dataDir, service: "ingress" });
    await store.append("task-1", [], { expectedVersion: 0 });
    await store.close();
    expect(existsSync(join(dataDir, "ingress.events.db"))).toBe(true);
  });
});
