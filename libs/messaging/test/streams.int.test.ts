import { jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import { testNats, uniqueNamespace } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { connectNats } from "../src/connect.ts";
import { ensureStreams } from "../src/streams.ts";
import { silentLog } from "./fixtures.ts";

const nats = testNats();

describe.skipIf(!nats.url)("ensureStreams", () => {
  it("creates both streams once, even when several processes race, and is idempotent", async () => {
    const connections = await Promise.all(
      [1, 2, 3].map((i) => connectNats({ url: nats.url!, name: `streams-${i}`, log: silentLog })),
    );
    const names = natsNames(uniqueNamespace("streams"));
    await Promise.all(connections.map((nc) => ensureStreams(nc, names)));
    await ensureStreams(connections[0]!, names);

    const jsm = await jetstreamManager(connections[0]!);
    const events = (await jsm.streams.info(names.eventsStream)).config;
    expect(events).toMatchObject({
      subjects: [names.eventsWildcard],
      retention: "limits",
      storage: "file",
      duplicate_window: nanos(120_000),
      max_age: 0,
    });
    const dead = (await jsm.streams.info(names.deadLetterStream)).config;
    expect(dead).toMatchObject({ subjects: [names.deadLetterWildcard], storage: "file" });
    await Promise.all(connections.map((nc) => nc.close()));
  });

  it("updates a stream whose settings drifted", async () => {
    const nc = await connectNats({ url: nats.url!, name: "streams-drift", log: silentLog });
    const names = natsNames(uniqueNamespace("streams"));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: names.eventsStream,
      subjects: [names.eventsWildcard],
      duplicate_window: nanos(1_000),
    });
    await ensureStreams(nc, names);
    expect((await jsm.streams.info(names.eventsStream)).config.duplicate_window).toBe(nanos(120_000));
    await nc.close();
  });
});
