import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { contentOf } from "../content.ts";
import type { ContextOf, SimulatorContext } from "../context.ts";
import { type Job, type JobState, statusAt } from "../jobs.ts";
import { newJob } from "../new-job.ts";
import { sendFault } from "./videos-api.ts";

/**
 * What the task-style shapes (Veo, Kling, DashScope, Ark) share in the simulator: the JSON body recorded
 * for tests, the submit faults answered in the shape's own error body, jobs made from the shape's fields,
 * and media links that expire, served from a second host name so `media_hosts` is exercised.
 */

const digestLongStrings = (value: unknown): unknown => {
  if (typeof value === "string")
    return value.length > 256
      ? `sha256:${createHash("sha256").update(value).digest("hex")} (${value.length} chars)`
      : value;
  if (Array.isArray(value)) return value.map(digestLongStrings);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, digestLongStrings(field)]));
  return value;
};

/** Records the request's JSON body (long strings digested) on its log entry. */
export const recordBody = (context: SimulatorContext, request: FastifyRequest) => {
  const entry = context.requests.of(request);
  if (!entry) return;
  const body = request.body;
  entry.body = digestLongStrings(body);
  if (body && typeof body === "object" && !Array.isArray(body)) entry.fields = Object.keys(body);
};

/** The credential the request presented (a key, a JWT, an OAuth token), as a careless upstream would echo it. */
const presentedCredential = (request: FastifyRequest) => {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  return header("authorization")?.replace(/^Bearer\s+/i, "") ?? header("x-goog-api-key") ?? header("api-key") ?? "";
};

/** The shape's 401 body with every `message` quoting the presented credential (the echoKeyErrors fault). */
const echoingKey = (body: unknown, credential: string): unknown => {
  if (Array.isArray(body)) return body.map((item) => echoingKey(item, credential));
  if (!body || typeof body !== "object") return body;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key,
      key === "message" && typeof value === "string"
        ? `${value} The key presented was ${credential}.`
        : echoingKey(value, credential),
    ]),
  );
};

/** A pending hang, submit fault or echoed-key 401, answered in the shape's own error body; true when it answered. */
export const submitFaultAnswered = async (
  context: SimulatorContext,
  reply: FastifyReply,
  bodyFor: (status: number) => unknown,
  request: FastifyRequest,
): Promise<boolean> => {
  const hangMs = context.faults.takeHang();
  if (hangMs > 0) await sleep(hangMs);
  const fault = context.faults.takeSubmitFault();
  if (fault) {
    await sendFault(reply, fault, bodyFor);
    return true;
  }
  if (context.faults.takeEchoKey()) {
    await reply.code(401).send(echoingKey(bodyFor(401), presentedCredential(request)));
    return true;
  }
  return false;
};

export const statusFaultAnswered = async (
  context: SimulatorContext,
  reply: FastifyReply,
  bodyFor: (status: number) => unknown,
): Promise<boolean> => {
  const fault = context.faults.takeStatusFault();
  if (!fault) return false;
  await sendFault(reply, fault, bodyFor);
  return true;
};

/** A job from the shape's fields, recorded as the request's response. */
export const addJob = (
  context: SimulatorContext,
  request: FastifyRequest,
  fields: { model: string; prompt: string; seconds: string; size: string },
): Job => {
  const job = context.jobs.add(newJob(context, fields));
  const entry = context.requests.of(request);
  if (entry) entry.responseId = job.id;
  return job;
};

export const stateOf = (context: SimulatorContext, job: Job): JobState => statusAt(job, context.now());

/** `16:9` and `1080p` → `1920x1080`, as the shape's job reports it. */
export const sizeOfRatio = (ratio: unknown, resolution: unknown, fallback = "1280x720") => {
  const r = /^(\d+):(\d+)$/.exec(String(ratio ?? ""));
  const short = Number.parseInt(String(resolution ?? ""), 10);
  if (!r || !Number.isFinite(short)) return fallback;
  const w = Number(r[1]);
  const h = Number(r[2]);
  return w >= h ? `${Math.round((short * w) / h)}x${short}` : `${short}x${Math.round((short * h) / w)}`;
};

/** The other name of the loopback host the request came in on: links point there, a second host. */
const otherHost = (host: string) =>
  host.startsWith("127.0.0.1") ? host.replace("127.0.0.1", "localhost") : host.replace(/^localhost/, "127.0.0.1");

/** A link to the job's video on the media host, valid for the channel's link lifetime (or the mediaLinkUrl fault's). */
export const mediaLinkOf = (context: SimulatorContext, request: FastifyRequest, job: Job, mediaBaseUrl?: string) => {
  // A hostile upstream: the link points wherever the fault says instead of the simulator's media host.
  const hostile = context.faults.mediaLinkUrl();
  if (hostile) return hostile;
  const channel = (request.params as { channel?: string } | undefined)?.channel;
  const base = mediaBaseUrl ?? `${request.protocol}://${otherHost(request.headers.host ?? "127.0.0.1")}`;
  const expires = context.now() + context.faults.linkTtlMs();
  return `${base}${channel ? `/c/${channel}` : ""}/media/${job.id}.mp4?expires=${expires}`;
};

/** `GET /media/{id}.mp4?expires=`: the video, no key needed (a CDN link); 403 once expired, as signed links answer. */
export const expiringMedia =
  (contextOf: ContextOf): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { name: string }; Querystring: { expires?: string } }>("/media/:name", async (request, reply) => {
      const context = contextOf(request);
      const expires = Number(request.query.expires);
      if (!Number.isFinite(expires) || context.now() >= expires)
        return reply
          .code(403)
          .type("application/xml")
          .send("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      const job = context.jobs.get(request.params.name.replace(/\.mp4$/, ""));
      if (!job || stateOf(context, job).status !== "completed")
        return reply.code(404).type("application/xml").send("<Error><Code>NoSuchKey</Code></Error>");
      const content = contentOf(job, "video");
      reply.type(content.contentType);
      if (job.videoBytes !== undefined) reply.header("content-length", String(job.videoBytes));
      return reply.send(content.body());
    });
  };

/** `Authorization: Bearer <key>`. */
export const bearerOf = (request: FastifyRequest) =>
  /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];

/** Whether a key is accepted: any non-empty one, unless the simulator was given a list. */
export const keyAccepted = (context: SimulatorContext, key: string | undefined) =>
  key !== undefined && key !== "" && (!context.apiKeys || context.apiKeys.includes(key));
