import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import {
  countDeadLetters,
  type DeadLetterSelection,
  replayDeadLetters as replaySelected,
  type StoredDeadLetter,
  selectDeadLetters,
} from "@reelgate/messaging";
import { progressBar } from "../progress.ts";

// The selection and replay live in libs/messaging (ingress's admin API uses them too); this adds progress bars.
export { describeDeadLetter } from "@reelgate/messaging";

export interface CliSelection extends DeadLetterSelection {
  quiet?: boolean | undefined;
}

/** Every selected dead letter, oldest first (reading does not remove them). */
export const listDeadLetters = async (nc: NatsConnection, names: NatsNames, selection: CliSelection = {}) => {
  const total = selection.sequences
    ? new Set(selection.sequences).size
    : await countDeadLetters(nc, names, selection.service);
  const bar = progressBar("reading", total, selection.quiet, "dead letters");
  const letters = await selectDeadLetters(nc, names, selection, () => bar.increment());
  bar.stop();
  return letters;
};

/**
 * Republishes each selected dead letter on its original subject and removes it from the dead letters;
 * a letter that fails again is dead-lettered again (with a new sequence).
 */
export const replayDeadLetters = async (
  nc: NatsConnection,
  names: NatsNames,
  selection: CliSelection = {},
): Promise<StoredDeadLetter[]> => {
  let bar: ReturnType<typeof progressBar> | undefined;
  const { replayed } = await replaySelected(nc, names, selection, {
    onSelected: (letters) => {
      bar = progressBar("replay", letters.length, selection.quiet, "dead letters");
    },
    onReplayed: () => bar?.increment(),
  });
  bar?.stop();
  return replayed;
};
