import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ContextOf } from "../context.ts";
import { openAiError } from "../errors.ts";
import { endEarly } from "../jobs.ts";
import { newJob } from "../new-job.ts";
import { requireKey, sendEchoedKey, sendFault } from "./videos-api.ts";

interface ChatBody {
  model?: unknown;
  stream?: unknown;
  messages?: Array<{ role?: unknown; content?: unknown }>;
}

/** `sora_video2`, `-landscape`, `-15s`: the model name fixes orientation and length. */
const specOfModel = (model: string) => ({
  size: /landscape/i.test(model) ? "1280x704" : "704x1280",
  seconds: /(^|-)15s($|-)/i.test(model) ? "15" : "10",
});

/** The user's text, whether the content is a string or parts (text and image_url). */
const promptOf = (body: ChatBody) =>
  (body.messages ?? [])
    .filter((message) => message.role === "user")
    .flatMap((message) =>
      typeof message.content === "string"
        ? [message.content]
        : Array.isArray(message.content)
          ? message.content.flatMap((part: { type?: string; text?: string }) =>
              part?.type === "text" && part.text ? [part.text] : [],
            )
          : [],
    )
    .join("\n");

const STEPS = 10;

/**
 * A chat-completions video provider: `POST /chat/completions` with `stream: true` answers an SSE
 * stream whose text reports progress and ends with a markdown link to the video (served without a key).
 */
export const chatProvider =
  (contextOf: ContextOf, linkBase: (request: FastifyRequest) => string): FastifyPluginAsync =>
  async (app) => {
    const bearerKeyOf = (request: FastifyRequest) =>
      /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
    app.addHook("onRequest", requireKey(contextOf, bearerKeyOf, "Authorization: Bearer KEY"));

    app.post("/chat/completions", async (request, reply) => {
      const context = contextOf(request);
      const body = (request.body ?? {}) as ChatBody;
      const entry = context.requests.of(request);
      if (entry) entry.fields = Object.keys(body);
      const hangMs = context.faults.takeHang();
      if (hangMs > 0) await sleep(hangMs);
      const fault = context.faults.takeSubmitFault();
      if (fault) return sendFault(reply, fault);
      if (context.faults.takeEchoKey()) return sendEchoedKey(request, reply);
      const prompt = promptOf(body);
      if (typeof body.model !== "string" || prompt.trim() === "")
        return reply.code(400).send(openAiError("'model' and a user message are required.", { param: "messages" }));
      if (body.stream !== true)
        return reply.code(400).send(openAiError("This model only answers streamed requests.", { param: "stream" }));

      const job = context.jobs.add(newJob(context, { model: body.model, prompt, ...specOfModel(body.model) }));
      if (entry) entry.responseId = job.id;
      const breaks = context.faults.takeBrokenStream();
      const link = context.faults.mediaLinkUrl() ?? `${linkBase(request)}/files/${job.id}.mp4`;
      const chunk = (content: string, finish: string | null = null) =>
        `data: ${JSON.stringify({
          id: `chatcmpl-${job.id}`,
          object: "chat.completion.chunk",
          created: Math.floor(job.createdAtMs / 1000),
          model: job.model,
          choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: finish }],
        })}\n\n`;

      let finished = false;
      const events = async function* () {
        try {
          yield chunk("");
          for (let step = 1; step < STEPS; step++) {
            await sleep(job.durationMs / STEPS);
            if (breaks && step === STEPS / 2) {
              yield chunk("\n⚠️ The request was blocked by content moderation.\n");
              endEarly(job, context.now(), "stream_broken");
              finished = true;
              throw new Error("simulated fault: the stream broke off");
            }
            yield chunk(`Generating… ${step * STEPS}%\n`);
          }
          await sleep(job.durationMs / STEPS);
          finished = true;
          yield chunk(`\n\n[Download the video](${link})\n`, "stop");
          yield "data: [DONE]\n\n";
        } finally {
          // The client went away: the upstream job dies with its stream.
          if (!finished) endEarly(job, context.now(), "cancelled");
        }
      };
      reply.header("content-type", "text/event-stream").header("cache-control", "no-cache");
      return reply.send(Readable.from(events()));
    });
  };
