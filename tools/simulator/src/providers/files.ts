import type { FastifyPluginAsync } from "fastify";
import { contentOf } from "../content.ts";
import type { ContextOf } from "../context.ts";
import { openAiError } from "../errors.ts";
import { statusAt } from "../jobs.ts";

/** The media links chat providers hand out: `GET /files/{id}.mp4`, no key needed (like a CDN link). */
export const mediaLinks =
  (contextOf: ContextOf): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { name: string } }>("/files/:name", async (request, reply) => {
      const context = contextOf(request);
      const id = request.params.name.replace(/\.mp4$/, "");
      const job = context.jobs.get(id);
      if (!job || statusAt(job, context.now()).status !== "completed")
        return reply.code(404).send(openAiError(`No file '${request.params.name}'.`, { code: "not_found" }));
      const content = contentOf(job, "video");
      reply.type(content.contentType);
      if (job.videoBytes !== undefined) reply.header("content-length", String(job.videoBytes));
      return reply.send(content.body());
    });
  };
