import { streamId, type TypedEnvelope } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { aggregateRepository, type EventMeta } from "@reelgate/runtime";
import { jobAggregate } from "../domain/aggregate.ts";
import type { JobCommand } from "../domain/decide.ts";

/** The job streams: load one, or decide a command on it and append, with commit ids derived from the cause. */
export const jobRecords = ({
  store,
  now,
  onAppended,
}: {
  store: EventStore;
  now: () => number;
  onAppended: () => void;
}) => {
  const repository = aggregateRepository(store, jobAggregate);
  const load = async (videoId: string) => (await repository.load(streamId("job", videoId))).state;

  /** `purpose` names the step, so the same step redelivered appends nothing new. */
  const execute = async (videoId: string, command: JobCommand, cause: TypedEnvelope, purpose: string) => {
    const meta: EventMeta = {
      commitId: `${purpose}:${videoId}`,
      correlationId: videoId,
      causationId: cause.id,
      accountId: cause.accountId,
      now: new Date(now()),
    };
    const decision = await repository.execute(streamId("job", videoId), command, meta);
    if (decision.events.length > 0) onAppended();
    return decision;
  };

  /** Fails the job. A submit try's failure passes `unlessSubmitted`: it holds only while no try was submitted. */
  const fail = (
    videoId: string,
    cause: TypedEnvelope,
    code: string,
    message: string,
    { unlessSubmitted = false }: { unlessSubmitted?: boolean } = {},
  ) =>
    execute(
      videoId,
      {
        type: "FailJob",
        code,
        message,
        now: Math.floor(now() / 1000),
        ...(unlessSubmitted ? { unlessSubmitted } : {}),
      },
      cause,
      "fail",
    );

  return { load, execute, fail };
};

export type JobRecords = ReturnType<typeof jobRecords>;
