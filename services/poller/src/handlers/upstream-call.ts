import type { ObjectStorage } from "@reelgate/object-storage";
import {
  type Channel,
  type Provider,
  type Submitted,
  UpstreamError,
  upstreamModelOf,
  type VideoSource,
} from "@reelgate/upstream";
import type { JobState } from "../domain/job.ts";
import type { UpstreamCall } from "../domain/submit-target.ts";
import { readInputImage, readSourceUpload } from "./input-image.ts";

const notOffered = (what: string) =>
  new UpstreamError(`${what}: the channel's provider has no such operation`, {
    status: 400,
    retryable: false,
    upstreamCode: "unsupported_operation",
    upstreamMessage: `This video's provider cannot ${what} it.`,
  });

/**
 * Sends the job's one upstream call on the chosen channel: a create, a remix, an edit or an extension (of the
 * channel's own upstream job, or of the uploaded file read from storage), with the idempotency key of the try.
 */
export const callUpstream = async ({
  provider,
  channel,
  request,
  call,
  idempotencyKey,
  objects,
  signal,
}: {
  provider: Provider;
  channel: Channel;
  request: NonNullable<JobState["request"]>;
  call: UpstreamCall;
  idempotencyKey: string;
  objects: ObjectStorage;
  signal: AbortSignal | undefined;
}): Promise<Submitted> => {
  switch (call.kind) {
    case "create":
      return provider.submit(
        {
          model: upstreamModelOf(channel.models, request.model, Boolean(request.inputReference)),
          prompt: request.prompt,
          seconds: request.seconds,
          size: request.size,
          idempotencyKey,
          ...(request.inputReference ? { inputReference: await readInputImage(objects, request.inputReference) } : {}),
        },
        signal ? { signal } : {},
      );
    case "remix":
      return provider.remix(call.upstreamId, { prompt: request.prompt, idempotencyKey });
    case "edit":
    case "extend": {
      const source: VideoSource =
        call.source.kind === "job"
          ? call.source
          : await readSourceUpload(objects, request.sourceUpload ?? missingUpload(request.videoId));
      const model = upstreamModelOf(channel.models, request.model, false);
      if (call.kind === "edit") {
        if (!provider.edit) throw notOffered("edit");
        return provider.edit(source, { prompt: request.prompt, model, idempotencyKey });
      }
      if (!provider.extend) throw notOffered("extend");
      // For an extension the spec's seconds are the extension's own.
      return provider.extend(source, { prompt: request.prompt, model, seconds: request.seconds, idempotencyKey });
    }
  }
};

const missingUpload = (videoId: string): never => {
  throw new Error(`job ${videoId} is to start from an uploaded video but names none`);
};
