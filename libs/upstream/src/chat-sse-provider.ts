import { randomBytes } from "node:crypto";
import type { Variant } from "@reelgate/contracts";
import { z } from "zod";
import type { Channel } from "./channels.ts";
import { brokenStreamError, chatModelSpec, chatStreamScanner } from "./chat-text.ts";
import { type UpstreamHttpOptions, upstreamHttp } from "./fetch-upstream.ts";
import { type JobReport, type Provider, type SubmitRequest, type Submitted, UpstreamError } from "./provider.ts";
import { sseData } from "./sse.ts";
import { truncate, upstreamLimits } from "./upstream-text.ts";

const content = z.string().nullish();
/** What Reelgate reads of a completion chunk; events of another shape carry no text. */
const chatChunk = z.object({
  id: z
    .string()
    .transform((id) => id.slice(0, upstreamLimits.idChars))
    .optional(),
  choices: z
    .array(z.object({ delta: z.object({ content }).nullish(), message: z.object({ content }).nullish() }))
    .optional(),
  error: z.union([z.string(), z.object({ message: z.string().nullish(), code: z.string().nullish() })]).optional(),
});
type ChatChunk = z.infer<typeof chatChunk>;

const parseChunk = (data: string): ChatChunk | undefined => {
  try {
    const parsed = chatChunk.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

const textOf = (chunk: ChatChunk) =>
  (chunk.choices ?? []).map((choice) => choice.delta?.content ?? choice.message?.content ?? "").join("");

const messageContent = (request: SubmitRequest) => {
  if (!request.inputReference) return request.prompt;
  const { bytes, contentType } = request.inputReference;
  return [
    { type: "text", text: request.prompt },
    { type: "image_url", image_url: { url: `data:${contentType};base64,${bytes.toString("base64")}` } },
  ];
};

/**
 * Providers that make a video inside a streamed `POST /chat/completions`: the job is the stream.
 * `submit` answers once the stream has started; its `updates` carry progress from the text and end
 * `completed` at the markdown video link, or `failed` when the stream ends (or breaks) before one.
 */
export const chatSseProvider = (
  channel: Channel,
  { timeoutMs = channel.timeout_seconds * 1000, ...options }: Partial<UpstreamHttpOptions> = {},
): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const http = upstreamHttp(channel, { timeoutMs, ...options });
  const notPolled = (what: string) =>
    new UpstreamError(`${what}: chat-sse channel '${channel.id}' has no such endpoint`, {
      status: 400,
      retryable: false,
      upstreamMessage: `${what} is not offered by this video's provider.`,
    });

  const scrubbed = (error: { code: string; message: string }) => ({ ...error, message: http.scrub(error.message) });

  const followStream = async function* (
    events: AsyncGenerator<string>,
    first: IteratorResult<string>,
    model: string,
  ): AsyncGenerator<JobReport> {
    const spec = chatModelSpec(model);
    const report = (fields: Partial<JobReport>): JobReport => ({
      status: "in_progress",
      progress: 0,
      model,
      ...spec,
      error: null,
      expiresAt: null,
      variants: ["video"],
      ...fields,
    });
    const scanner = chatStreamScanner();
    let lastProgress = -1;
    let next = first;
    try {
      while (!next.done) {
        const data = next.value;
        if (data.trim() === "[DONE]") break;
        const chunk = parseChunk(data);
        if (chunk?.error) {
          const error = typeof chunk.error === "string" ? { message: chunk.error } : chunk.error;
          yield report({
            status: "failed",
            error: {
              code: truncate(error.code ?? "upstream_failed", upstreamLimits.idChars),
              message: http.scrub(error.message ?? "the upstream reported an error"),
            },
          });
          return;
        }
        if (chunk) scanner.push(textOf(chunk));
        const link = scanner.link();
        if (link) {
          // Links of these providers expire within a day.
          yield report({
            status: "completed",
            progress: 100,
            mediaId: link,
            expiresAt: Math.floor(Date.now() / 1000) + 86_400,
          });
          return;
        }
        const progress = scanner.progress();
        if (progress !== undefined && progress !== lastProgress) {
          lastProgress = progress;
          yield report({ progress });
        }
        next = await events.next();
      }
      yield report({ status: "failed", error: scrubbed(brokenStreamError(scanner.tail())) });
    } catch (error) {
      const cause = error instanceof Error && error.name === "TimeoutError" ? "it went silent" : "the connection broke";
      yield report({ status: "failed", error: scrubbed(brokenStreamError(scanner.tail(), cause)) });
    } finally {
      await events.return(undefined);
    }
  };

  return {
    follow: "stream",

    async submit(request: SubmitRequest, options: { signal?: AbortSignal } = {}): Promise<Submitted> {
      const response = await http.stream(
        `${base}/chat/completions`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${channel.api_key}`,
            "content-type": "application/json",
            accept: "text/event-stream",
          },
          body: JSON.stringify({
            model: request.model,
            stream: true,
            messages: [{ role: "user", content: messageContent(request) }],
          }),
        },
        "submit",
        options.signal,
      );
      if (!response.ok || !response.body) throw await http.errorOf(response, "submit");
      const events = sseData(response.body);
      // The first event names the completion; a stream that breaks before it is still a started job.
      const first = await events.next().catch((): IteratorResult<string> => ({ done: true, value: undefined }));
      const id = first.done ? undefined : parseChunk(first.value)?.id;
      return {
        upstreamId:
          id ??
          response.headers.get("x-request-id")?.slice(0, upstreamLimits.idChars) ??
          `chat_${randomBytes(12).toString("hex")}`,
        updates: followStream(events, first, request.model),
      };
    },

    async status() {
      throw notPolled("status");
    },
    async remix() {
      throw notPolled("remix");
    },
    // Aborting the stream is the only cancel these providers offer; whoever holds the stream does it.
    async cancel() {},

    /** `upstreamId` is the video link the stream ended with; it needs no key, and the key must not leave for its host. */
    async content(link: string, variant: Variant) {
      if (variant !== "video" || !/^https?:\/\//.test(link))
        throw new UpstreamError(`content ${variant}: chat-sse channels have only the video`, {
          status: 404,
          retryable: false,
        });
      // The link is the upstream's word: it may lead only to the channel's own host or its media_hosts.
      const response = await http.stream(link, {}, "content video");
      if (!response.ok || !response.body) throw await http.errorOf(response, "content video", [link]);
      const length = response.headers.get("content-length");
      return {
        body: response.body,
        contentType: response.headers.get("content-type") ?? "video/mp4",
        bytes: length === null ? undefined : Number(length),
      };
    },
  };
};
