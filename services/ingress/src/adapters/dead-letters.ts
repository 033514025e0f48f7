import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import {
  deadLetterPage,
  describeDeadLetter,
  mayPublish,
  type NatsPermissions,
  replayDeadLetters,
  type StoredDeadLetter,
} from "@reelgate/messaging";

/** One dead letter as the admin API shows it (libs/messaging's summary, and whether ingress may replay it). */
export type DeadLetterSummary = ReturnType<typeof describeDeadLetter> & { replayable: boolean };

/** The dead letters of every service, as ingress's admin API reads and replays them (the port). */
export interface DeadLetters {
  page(query: { service?: string | undefined; after: number; limit: number }): Promise<{
    letters: DeadLetterSummary[];
    hasMore: boolean;
  }>;
  /** Replays those selected that ingress may publish again; answers how many, and the sequences left. */
  replay(selection: {
    sequences?: number[] | undefined;
    service?: string | undefined;
  }): Promise<{ replayed: number; notReplayed: number[] }>;
}

/**
 * Over ingress's own NATS connection: every service's dead letters are readable (the JetStream API), but
 * ingress republishes only on subjects its NATS user may publish on — its own events'
 * (docs/security.md); the rest are left for `reelgate dead-letters replay`.
 */
export const natsDeadLetters = (nc: NatsConnection, names: NatsNames, own: NatsPermissions): DeadLetters => {
  const may = (letter: StoredDeadLetter) => mayPublish(own, letter.subject);
  return {
    async page(query) {
      const { letters, hasMore } = await deadLetterPage(nc, names, query);
      return {
        letters: letters.map((letter) => ({ ...describeDeadLetter(letter), replayable: may(letter) })),
        hasMore,
      };
    },
    async replay(selection) {
      const { replayed, refused } = await replayDeadLetters(nc, names, selection, { may });
      return { replayed: replayed.length, notReplayed: refused.map((letter) => letter.deadSequence) };
    },
  };
};
