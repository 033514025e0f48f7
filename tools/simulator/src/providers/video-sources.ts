import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ContextOf, SimulatorContext } from "../context.ts";
import { openAiError } from "../errors.ts";
import { statusAt } from "../jobs.ts";
import { mp4SecondsOf } from "../media/mp4.ts";
import type { Submission } from "../submission.ts";

/**
 * OpenAI's edits, extensions and characters (`POST /videos/edits`, `POST /videos/extensions`,
 * `POST /videos/characters`, `GET /videos/characters/{id}`), as its API document declares them: the source
 * video as `{"video": {"id"}}` in JSON, `video[id]` in a form, or an uploaded file part `video`. An edit keeps the
 * source's model, seconds and size; an extension's `seconds` (4, 8, 12, 16 or 20) is the new segment, and the job
 * reports the stitched total. An uploaded file's length comes from its MP4 header.
 */

type Submit = (
  context: SimulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
  fields: Record<string, unknown>,
  remixedFrom: string | null,
) => Promise<unknown>;
type ReadRecorded = (
  context: SimulatorContext,
  request: FastifyRequest,
  options?: { keep?: readonly string[] },
) => Promise<Submission>;

const EXTENSION_SECONDS = ["4", "8", "12", "16", "20"];
/** What an edit of an uploaded file makes when nothing says otherwise: OpenAI's create defaults. */
const UPLOAD_DEFAULTS = { model: "sora-2", size: "720x1280" };

const idIn = (fields: Record<string, unknown>): string | undefined => {
  const video = fields.video;
  if (video && typeof video === "object" && typeof (video as { id?: unknown }).id === "string")
    return (video as { id: string }).id;
  const flat = fields["video[id]"];
  return typeof flat === "string" && flat !== "" ? flat : undefined;
};

type Source =
  | { kind: "job"; model: string; seconds: string; size: string; origin: string }
  | { kind: "upload"; seconds: number | undefined; origin: string };

/** The source video the request names, or the error answer it gets (404 unknown, 400 unfinished or missing). */
const sourceOf = (
  context: SimulatorContext,
  submission: Submission,
  verb: string,
): Source | { status: number; body: unknown } => {
  const upload = submission.kept.video;
  if (upload) {
    const file = submission.files.find((candidate) => candidate.field === "video");
    return { kind: "upload", seconds: mp4SecondsOf(upload), origin: `upload:${file?.sha256 ?? ""}` };
  }
  const id = idIn(submission.fields);
  if (!id)
    return {
      status: 400,
      body: openAiError("Missing required parameter: 'video'.", { param: "video", code: "missing_required_parameter" }),
    };
  const job = context.jobs.get(id);
  if (!job) return { status: 404, body: openAiError(`Video with id '${id}' not found.`, { code: "video_not_found" }) };
  if (statusAt(job, context.now()).status !== "completed")
    return {
      status: 400,
      body: openAiError(`Only a completed video can be ${verb}.`, { param: "video", code: "invalid_value" }),
    };
  return { kind: "job", model: job.model, seconds: job.seconds, size: job.size, origin: `job:${job.id}` };
};

export const videoSourceRoutes = (
  app: FastifyInstance,
  { contextOf, submit, readRecorded }: { contextOf: ContextOf; submit: Submit; readRecorded: ReadRecorded },
) => {
  app.post("/videos/edits", async (request, reply) => {
    const context = contextOf(request);
    const submission = await readRecorded(context, request, { keep: ["video"] });
    const source = sourceOf(context, submission, "edited");
    if ("status" in source) return reply.code(source.status).send(source.body);
    const spec =
      source.kind === "job"
        ? { model: source.model, seconds: source.seconds, size: source.size }
        : { ...UPLOAD_DEFAULTS, seconds: String(source.seconds ?? 4) };
    return submit(context, request, reply, { ...spec, prompt: submission.fields.prompt, source: source.origin }, null);
  });

  app.post("/videos/extensions", async (request, reply) => {
    const context = contextOf(request);
    const submission = await readRecorded(context, request, { keep: ["video"] });
    const seconds = submission.fields.seconds === undefined ? undefined : String(submission.fields.seconds);
    if (seconds === undefined || !EXTENSION_SECONDS.includes(seconds))
      return reply.code(400).send(
        openAiError(`Invalid seconds: ${JSON.stringify(seconds ?? null)}. Expected one of 4, 8, 12, 16, 20.`, {
          param: "seconds",
          code: seconds === undefined ? "missing_required_parameter" : "invalid_value",
        }),
      );
    const source = sourceOf(context, submission, "extended");
    if ("status" in source) return reply.code(source.status).send(source.body);
    if (source.kind === "upload" && source.seconds === undefined)
      return reply
        .code(400)
        .send(
          openAiError("The uploaded video could not be read as an MP4.", { param: "video", code: "invalid_value" }),
        );
    const spec =
      source.kind === "job"
        ? { model: source.model, size: source.size, sourceSeconds: Number(source.seconds) }
        : { ...UPLOAD_DEFAULTS, sourceSeconds: source.seconds ?? 0 };
    // The Video object of an extension reports the stitched total.
    const total = String(spec.sourceSeconds + Number(seconds));
    return submit(
      context,
      request,
      reply,
      { model: spec.model, size: spec.size, seconds: total, prompt: submission.fields.prompt, source: source.origin },
      null,
    );
  });

  app.post("/videos/characters", async (request, reply) => {
    const context = contextOf(request);
    const submission = await readRecorded(context, request, { keep: ["video"] });
    const name = submission.fields.name;
    if (typeof name !== "string" || name.length < 1 || name.length > 80)
      return reply
        .code(400)
        .send(openAiError("'name' must be 1 to 80 characters.", { param: "name", code: "invalid_value" }));
    if (!submission.kept.video)
      return reply
        .code(400)
        .send(
          openAiError("Missing required parameter: 'video'.", { param: "video", code: "missing_required_parameter" }),
        );
    const character = {
      id: `char_${randomBytes(12).toString("hex")}`,
      name,
      created_at: Math.floor(context.now() / 1000),
    };
    context.characters.set(character.id, character);
    const entry = context.requests.of(request);
    if (entry) entry.responseId = character.id;
    return character;
  });

  app.get<{ Params: { id: string } }>("/videos/characters/:id", async (request, reply) => {
    const character = contextOf(request).characters.get(request.params.id);
    if (!character)
      return reply
        .code(404)
        .send(openAiError(`Character with id '${request.params.id}' not found.`, { code: "character_not_found" }));
    return character;
  });
};
