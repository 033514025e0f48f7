import type { NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { atTurnEnd } from "../src/turn-end.ts";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("atTurnEnd", () => {
  it("runs the sends queued on a connection in one turn together, in order, once the turn ends", async () => {
    const nc = {} as NatsConnection;
    const other = {} as NatsConnection;
    const ran: string[] = [];
    atTurnEnd(nc, () => ran.push("ack 1"));
    await Promise.resolve(); // a later microtask of the same turn
    atTurnEnd(nc, () => ran.push("publish"));
    atTurnEnd(other, () => ran.push("other connection"));
    atTurnEnd(nc, () => ran.push("ack 2"));
    expect(ran).toEqual([]); // nothing before the turn ends
    await nextTurn();
    expect(ran).toEqual(["ack 1", "publish", "ack 2", "other connection"]);
  });

  it("a send queued while the sends run goes out at the end of the next turn", async () => {
    const nc = {} as NatsConnection;
    const ran: string[] = [];
    atTurnEnd(nc, () => {
      ran.push("first");
      atTurnEnd(nc, () => ran.push("second"));
    });
    await nextTurn();
    expect(ran).toEqual(["first"]);
    await nextTurn();
    expect(ran).toEqual(["first", "second"]);
  });
});
