import { type Channel, canDo } from "@reelgate/upstream";
import type { JobState } from "./job.ts";
import { eligibleChannels } from "./pick-channel.ts";

type Request = NonNullable<JobState["request"]>;
export type JobOperation = Request["operation"];

/** What goes upstream for the job, once a channel is chosen. */
export type UpstreamCall =
  | { kind: "create" }
  | { kind: "remix"; upstreamId: string }
  | { kind: "edit" | "extend"; source: { kind: "job"; upstreamId: string } | { kind: "upload" } };

export type SubmitTarget =
  /** These channels may take it (the plan orders them); one alone when the job is pinned to its source's. */
  | { eligible: Channel[]; call: UpstreamCall }
  /** No channel can: the job ends failed (uncharged). */
  | { fail: { code: string; message: string } };

/** The job's operation; a remix recorded before operations were named is known by its source. */
export const operationOf = (request: Request): JobOperation =>
  request.operation === "create" && request.remixedFromVideoId ? "remix" : request.operation;

/** The Reelgate video the job starts from, whose upstream job must be found: a remix's, an edit's or an extension's. */
export const sourceVideoIdOf = (request: Request): string | undefined => {
  const operation = operationOf(request);
  if (operation === "remix") return request.remixedFromVideoId ?? undefined;
  if (operation === "edit" || operation === "extend") return request.sourceVideoId ?? undefined;
  return undefined;
};

const unsupported = (message: string) => ({ fail: { code: "unsupported_operation", message } });

/**
 * Which channels may take the job, and what they are asked. A create goes to any enabled channel of the model; a
 * remix, an edit or an extension of a Reelgate video only to the channel that made it (disabled or not: no other
 * holds its upstream job), if that channel's provider can do it; an edit or extension of an uploaded file to the
 * channels of the model whose provider takes a file. `source` is the source video's job, loaded by the caller.
 */
export const submitTarget = (request: Request, source: JobState | undefined, channels: Channel[]): SubmitTarget => {
  const operation = operationOf(request);
  if (operation === "create") {
    const eligible = eligibleChannels(channels, request.model);
    if (eligible.length === 0)
      return { fail: { code: "no_channel", message: `No upstream channel serves model ${request.model}.` } };
    return { eligible, call: { kind: "create" } };
  }

  const sourceVideoId = sourceVideoIdOf(request);
  if (sourceVideoId !== undefined) {
    if (!source?.completion)
      return {
        fail: {
          code: `${operation}_source_unavailable`,
          message: `Video '${sourceVideoId}' has no finished upstream video to ${operation}.`,
        },
      };
    const channel = channels.find((candidate) => candidate.id === source.completion?.channelId);
    if (!channel)
      return {
        fail: {
          code: "channel_removed",
          message: `The upstream channel that made the source video is no longer configured, so it cannot be ${operation === "extend" ? "extended" : `${operation}ed`}.`,
        },
      };
    if (!canDo(channel.provider, operation))
      return unsupported(`The provider that made video '${sourceVideoId}' cannot ${operation} it.`);
    const upstreamId = source.completion.upstreamId;
    return {
      eligible: [channel],
      call:
        operation === "remix"
          ? { kind: "remix", upstreamId }
          : { kind: operation, source: { kind: "job", upstreamId } },
    };
  }

  if (operation === "remix" || !request.sourceUpload)
    return { fail: { code: "invalid_request", message: `The ${operation} names no source video.` } };
  const serving = eligibleChannels(channels, request.model);
  if (serving.length === 0)
    return { fail: { code: "no_channel", message: `No upstream channel serves model ${request.model}.` } };
  const eligible = serving.filter((channel) => canDo(channel.provider, operation, { upload: true }));
  if (eligible.length === 0)
    return unsupported(`No upstream channel of model ${request.model} can ${operation} an uploaded video.`);
  return { eligible, call: { kind: operation, source: { kind: "upload" } } };
};
