import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { decodeJwt, importSPKI, jwtVerify } from "jose";
import { contentOf } from "../content.ts";
import type { ContextOf, SimulatorContext } from "../context.ts";
import type { Job } from "../jobs.ts";
import { mp4SecondsOf } from "../media/mp4.ts";
import {
  addJob,
  keyAccepted,
  mediaLinkOf,
  recordBody,
  sizeOfRatio,
  stateOf,
  statusFaultAnswered,
  submitFaultAnswered,
} from "./task-kit.ts";

/**
 * Google's two Veo shapes: the Gemini API (`/v1beta/models/{model}:predictLongRunning`, `x-goog-api-key`,
 * operations at `/v1beta/{name}`, a download at `/v1beta/files/{id}:download` that needs the key and
 * redirects to the media host) and Vertex AI (`…/publishers/google/models/{model}:predictLongRunning` and
 * `:fetchPredictOperation`, an OAuth bearer token from the simulator's own token endpoint, the video inline).
 */

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export const googleError = (status: number, message?: string) => ({
  error: {
    code: status,
    message:
      message ??
      (status === 429
        ? "Resource has been exhausted (e.g. check quota)."
        : status === 503
          ? "The service is currently unavailable."
          : `The request failed with status ${status}.`),
    status: STATUS_NAMES[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
  },
});

interface VeoBody {
  instances?: Array<{
    prompt?: unknown;
    image?: { bytesBase64Encoded?: unknown; mimeType?: unknown };
    video?: Record<string, unknown>;
  }>;
  parameters?: { aspectRatio?: unknown; resolution?: unknown; durationSeconds?: unknown };
}

/** Veo extends a video by 7 s; the result is one video, the source and the extension stitched. */
const EXTENSION_SECONDS = 7;

/** What an extension starts from, as the shape read `instances[0].video`; or the 400 message it answers. */
export type VeoSource = { seconds: number; size: string } | { refused: string };

/**
 * An extension as Google documents it: the video in `instances[0].video`, extended by 7 s (a `durationSeconds`
 * other than 7 is refused), the source's length within the shape's limit; the job is the stitched whole.
 */
const extensionOf = (body: VeoBody, source: VeoSource, maxSourceSeconds: number): VeoSource => {
  if ("refused" in source) return source;
  const asked = body.parameters?.durationSeconds;
  if (asked !== undefined && Number(asked) !== EXTENSION_SECONDS)
    return { refused: `durationSeconds must be ${EXTENSION_SECONDS} for a video extension.` };
  if (source.seconds < 1 || source.seconds > maxSourceSeconds)
    return { refused: `The input video must be 1 to ${maxSourceSeconds} seconds long.` };
  return { seconds: source.seconds + EXTENSION_SECONDS, size: source.size };
};

/** Validates a predictLongRunning body as Veo does, then makes the job; undefined when it answered an error. */
const submitVeo = async (
  context: SimulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
  extension?: { sourceOf: (video: Record<string, unknown>, body: VeoBody) => VeoSource; maxSourceSeconds: number },
): Promise<Job | undefined> => {
  recordBody(context, request);
  if (await submitFaultAnswered(context, reply, googleError, request)) return undefined;
  const body = (request.body ?? {}) as VeoBody;
  const instance = body.instances?.[0];
  const prompt = instance?.prompt;
  if (typeof prompt !== "string" || prompt.trim() === "") {
    await reply.code(400).send(googleError(400, "instances[0].prompt is required."));
    return undefined;
  }
  if (instance?.video !== undefined) {
    const video = instance.video;
    const made =
      video && typeof video === "object" && extension
        ? extensionOf(body, extension.sourceOf(video, body), extension.maxSourceSeconds)
        : { refused: "instances[0].video is not a video this API can extend." };
    if ("refused" in made) {
      await reply.code(400).send(googleError(400, made.refused));
      return undefined;
    }
    return addJob(context, request, { model, prompt, seconds: String(made.seconds), size: made.size });
  }
  const { aspectRatio = "16:9", resolution = "720p", durationSeconds = 8 } = body.parameters ?? {};
  if (!["16:9", "9:16"].includes(String(aspectRatio)) || !["720p", "1080p"].includes(String(resolution))) {
    await reply.code(400).send(googleError(400, `Unsupported aspectRatio/resolution: ${aspectRatio} ${resolution}.`));
    return undefined;
  }
  return addJob(context, request, {
    model,
    prompt,
    seconds: String(durationSeconds),
    size: sizeOfRatio(aspectRatio, resolution),
  });
};

const filteredResponse = {
  raiMediaFilteredCount: 1,
  raiMediaFilteredReasons: ["The (simulated) safety filter blocked this video."],
};

/** The operation for a job in either shape's form; `videoOf` writes a finished sample. */
const operationOf = (
  context: SimulatorContext,
  name: string,
  job: Job,
  done: (job: Job) => Record<string, unknown>,
) => {
  const { status } = stateOf(context, job);
  if (status === "queued" || status === "in_progress") return { name };
  if (status === "failed" && !job.filtered)
    return { name, done: true, error: { code: 13, message: "Video generation failed (simulated)." } };
  return { name, done: true, response: done(job) };
};

const mp4Of = async (job: Job) => {
  const body = contentOf(job, "video").body();
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** The Gemini API extends Veo videos up to 141 s long (so at most 148 s come out), 720p only. */
const GEMINI_MAX_SOURCE_SECONDS = 141;

/** The Gemini API takes back a video it generated, by the file `uri` its operation gave; nothing else. */
const geminiSourceOf = (context: SimulatorContext, video: Record<string, unknown>): VeoSource => {
  const id = typeof video.uri === "string" ? /\/files\/([^/:?]+)/.exec(video.uri)?.[1] : undefined;
  const job = id === undefined ? undefined : context.jobs.get(id);
  if (!job || stateOf(context, job).status !== "completed")
    return { refused: "Only videos generated by Veo can be extended: video.uri names no generated video." };
  const [width, height] = job.size.split("x").map(Number);
  if (Math.min(width ?? 0, height ?? 0) !== 720) return { refused: "Only 720p videos can be extended." };
  return { seconds: Number(job.seconds), size: job.size };
};

/** Vertex AI extends MP4 input of 1 to 30 s, sent inline (a `gcsUri` the simulator cannot read is refused). */
const VERTEX_MAX_SOURCE_SECONDS = 30;

const vertexSourceOf = (video: Record<string, unknown>, body: VeoBody): VeoSource => {
  if (typeof video.bytesBase64Encoded !== "string")
    return { refused: "The simulator reads only inline video (bytesBase64Encoded), not gcsUri." };
  const seconds = mp4SecondsOf(Buffer.from(video.bytesBase64Encoded, "base64"));
  if (seconds === undefined) return { refused: "The input video must be an MP4." };
  // A 16x16 stand-in frame says nothing of the size: the extension is 720p at the asked ratio, as Veo writes it.
  return { seconds, size: sizeOfRatio(body.parameters?.aspectRatio ?? "16:9", "720p") };
};

export const geminiApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      const key = (request.headers["x-goog-api-key"] as string | undefined) ?? (request.query as { key?: string }).key;
      if (!key)
        return reply
          .code(403)
          .send(googleError(403, "Method doesn't allow unregistered callers. Please use an API Key."));
      if (!keyAccepted(contextOf(request), key))
        return reply.code(400).send(googleError(400, "API key not valid. Please pass a valid API key."));
    });

    app.get("/models", async () => ({ models: [{ name: "models/veo-3.1-generate-preview" }] }));

    app.post<{ Params: { action: string } }>("/models/:action", async (request, reply) => {
      const [model, verb] = request.params.action.split(":");
      if (verb !== "predictLongRunning" || !model) return reply.code(404).send(googleError(404));
      const context = contextOf(request);
      const job = await submitVeo(context, request, reply, model, {
        sourceOf: (video) => geminiSourceOf(context, video),
        maxSourceSeconds: GEMINI_MAX_SOURCE_SECONDS,
      });
      if (job) return { name: `models/${model}/operations/${job.id}` };
      return reply;
    });

    app.get<{ Params: { model: string; op: string } }>("/models/:model/operations/:op", async (request, reply) => {
      const context = contextOf(request);
      if (await statusFaultAnswered(context, reply, googleError)) return reply;
      const job = context.jobs.get(request.params.op);
      if (!job) return reply.code(404).send(googleError(404, "Operation not found."));
      const base = `${request.protocol}://${request.headers.host}${request.url.replace(/\/models\/.*$/, "")}`;
      return operationOf(context, `models/${request.params.model}/operations/${job.id}`, job, (done) =>
        done.filtered
          ? { generateVideoResponse: filteredResponse }
          : {
              "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
              generateVideoResponse: {
                generatedSamples: [{ video: { uri: `${base}/files/${done.id}:download?alt=media` } }],
              },
            },
      );
    });

    // The file download needs the key (checked above) and redirects to the storage host, as Google's does.
    app.get<{ Params: { file: string } }>("/files/:file", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.file.split(":")[0] ?? "");
      if (!job || stateOf(context, job).status !== "completed") return reply.code(404).send(googleError(404));
      return reply.redirect(mediaLinkOf(context, request, job, mediaBaseUrl), 302);
    });
  };

/** Access tokens the token endpoint issued, good for an hour; shared by every channel. */
export const createOAuthTokens = (now: () => number) => {
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  return {
    issue(email: string) {
      const token = `ya29.sim_${randomBytes(16).toString("hex")}`;
      tokens.set(token, { email, expiresAt: now() + 3_600_000 });
      return token;
    },
    valid: (token: string | undefined) => {
      const found = token === undefined ? undefined : tokens.get(token);
      return found !== undefined && found.expiresAt > now();
    },
    issued: () => tokens.size,
  };
};
export type OAuthTokens = ReturnType<typeof createOAuthTokens>;

/**
 * The OAuth2 token endpoint (`POST /oauth2/token`, the JWT-bearer grant): a service account's signed
 * assertion for an access token. With `serviceAccounts` (email → public key PEM) the signature is verified
 * and unknown accounts are refused, as Google does; without, any well-formed assertion is taken.
 */
export const oauthTokenEndpoint =
  (tokens: OAuthTokens, serviceAccounts?: Record<string, string>): FastifyPluginAsync =>
  async (app) => {
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    app.post("/oauth2/token", async (request, reply) => {
      const form = (request.body ?? {}) as { grant_type?: string; assertion?: string };
      const refuse = (error: string, description: string) =>
        reply.code(400).send({ error, error_description: description });
      if (form.grant_type !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || !form.assertion)
        return refuse("unsupported_grant_type", "Invalid grant_type or missing assertion.");
      let email: string;
      try {
        const claims = decodeJwt(form.assertion);
        email = String(claims.iss ?? "");
        if (!email) return refuse("invalid_grant", "Invalid JWT: no issuer.");
        if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now())
          return refuse(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.",
          );
        if (serviceAccounts) {
          const pem = serviceAccounts[email];
          if (!pem) return refuse("invalid_grant", "Invalid grant: account not found");
          await jwtVerify(form.assertion, await importSPKI(pem, "RS256"));
        }
      } catch {
        return refuse("invalid_grant", "Invalid JWT Signature.");
      }
      return { access_token: tokens.issue(email), expires_in: 3599, token_type: "Bearer" };
    });
  };

export const vertexApi =
  (contextOf: ContextOf, tokens: OAuthTokens): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
      if (!tokens.valid(token))
        return reply
          .code(401)
          .send(
            googleError(
              401,
              "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            ),
          );
    });

    type Params = { Params: { project: string; location: string; action: string } };
    app.post<Params>(
      "/projects/:project/locations/:location/publishers/google/models/:action",
      async (request, reply) => {
        const context = contextOf(request);
        const { project, location, action } = request.params;
        const [model, verb] = action.split(":");
        if (!model) return reply.code(404).send(googleError(404));
        const modelName = `projects/${project}/locations/${location}/publishers/google/models/${model}`;
        if (verb === "predictLongRunning") {
          const job = await submitVeo(context, request, reply, model, {
            sourceOf: vertexSourceOf,
            maxSourceSeconds: VERTEX_MAX_SOURCE_SECONDS,
          });
          if (job) return { name: `${modelName}/operations/${job.id}` };
          return reply;
        }
        if (verb !== "fetchPredictOperation") return reply.code(404).send(googleError(404));
        if (await statusFaultAnswered(context, reply, googleError)) return reply;
        const name = String((request.body as { operationName?: unknown } | undefined)?.operationName ?? "");
        const job = context.jobs.get(name.split("/operations/")[1] ?? "");
        if (!name.startsWith(`${modelName}/operations/`) || !job)
          return reply.code(404).send(googleError(404, "Operation not found."));
        const finished = stateOf(context, job).status === "completed" ? await mp4Of(job) : undefined;
        return operationOf(context, name, job, (done) =>
          done.filtered
            ? { "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse", ...filteredResponse }
            : {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                raiMediaFilteredCount: 0,
                videos: [{ bytesBase64Encoded: finished?.toString("base64") ?? "", mimeType: "video/mp4" }],
              },
        );
      },
    );
  };
