import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventInput, type EventType, sha256Hex, type TypedEnvelope } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { buildSimulator } from "@reelgate/simulator";
import { openAiProvider, simulatorChannel } from "@reelgate/upstream";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { upstreamContent } from "../src/adapters/upstream-content.ts";
import { projectEvent } from "../src/views/projection.ts";
import { openViews } from "../src/views/views.ts";
import { buildTestApp } from "./support/test-app.ts";

const KEY = "rg-fallback-key";
const ACCOUNT = "acct_fallback";

/** A video whose media storage could not copy: `/content` proxies it through its channel until the link expires. */
describe("content of a copy that failed", () => {
  let simulator: FastifyInstance;
  let baseUrl: string;
  let dir: string;
  beforeAll(async () => {
    simulator = await buildSimulator({ jobDurationMs: 0 });
    await simulator.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(simulator.server.address() as { port: number }).port}/v1`;
  });
  afterAll(async () => {
    await simulator?.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ingressAt = async (now: Date) => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-fallback-"));
    const views = await openViews(openSqliteDocumentStore(join(dir, "views.db")));
    await views.keys.put({ id: "key_1", accountId: ACCOUNT, name: "t", sha256: sha256Hex(KEY), revoked: false }, null);
    const channel = { ...simulatorChannel(baseUrl, ["sora-2"]), id: "sim" };
    const app = await buildTestApp(
      { store: openSqliteEventStore(join(dir, "events.db")), views, objects: fileStorage(join(dir, "media")) },
      { now: () => now, rateLimitPerMinute: 1000, upstreamContent: upstreamContent([channel]) },
    );
    const { upstreamId } = await openAiProvider(channel).submit({
      model: "sora-2",
      prompt: "kept upstream",
      seconds: "4",
      size: "720x1280",
      idempotencyKey: "fallback",
    });
    const videoId = `video_${upstreamId.slice(-16)}`;
    let version = 0;
    const project = <T extends EventType>(type: T, data: EventInput<T>, stream: string) =>
      projectEvent(views, {
        id: `evt_${++version}`,
        type,
        schemaVersion: 1,
        stream,
        version,
        occurredAt: now.toISOString(),
        correlationId: videoId,
        causationId: null,
        accountId: ACCOUNT,
        data,
      } as TypedEnvelope);
    const expiresAt = Math.floor(Date.UTC(2026, 0, 2) / 1000);
    await project(
      "VideoRequested",
      {
        videoId,
        accountId: ACCOUNT,
        model: "sora-2",
        seconds: "4",
        size: "720x1280",
        prompt: "kept upstream",
        quoteMicros: 400_000,
        remixedFromVideoId: null,
        inputReference: null,
        createdAt: 1_767_225_600,
      },
      `task-${videoId}`,
    );
    const job = { videoId, channelId: "sim", upstreamId, model: "sora-2", seconds: "4", size: "720x1280" };
    await project(
      "JobCompleted",
      { ...job, variants: ["video"], completedAt: 1_767_225_700, expiresAt },
      `job-${videoId}`,
    );
    await project(
      "MediaStorageFailed",
      { videoId, variant: "video", reason: "broke", fallback: { channelId: "sim", upstreamId, expiresAt } },
      `asset-${videoId}`,
    );
    const get = (path: string) => app.inject({ method: "GET", url: path, headers: { authorization: `Bearer ${KEY}` } });
    return { app, get, videoId, upstreamId, project };
  };

  it("reports the video completed and streams its bytes through the channel before the link expires", async () => {
    const { app, get, videoId, upstreamId } = await ingressAt(new Date(Date.UTC(2026, 0, 1, 12)));
    expect((await get(`/v1/videos/${videoId}`)).json()).toMatchObject({ status: "completed" });
    const content = await get(`/v1/videos/${videoId}/content`);
    expect(content.statusCode).toBe(200);
    expect(content.headers["content-type"]).toBe("video/mp4");
    const upstream = (await simulator.inject({ url: `/_control/jobs/${upstreamId}/sha256` })).json();
    expect(createHash("sha256").update(content.rawPayload).digest("hex")).toBe(upstream.sha256);
    await app.close();
  });

  it("answers 404 content_expired once the upstream link has expired", async () => {
    const { app, get, videoId } = await ingressAt(new Date(Date.UTC(2026, 0, 3)));
    const content = await get(`/v1/videos/${videoId}/content`);
    expect(content.statusCode).toBe(404);
    expect(content.json()).toMatchObject({ error: { code: "content_expired" } });
    await app.close();
  });

  it("answers 404 content_deleted once storage deleted the video's media", async () => {
    const { app, get, videoId, project } = await ingressAt(new Date(Date.UTC(2026, 0, 1, 12)));
    await project("MediaDeleted", { videoId, keys: [], reason: "retention" }, `asset-${videoId}`);
    const content = await get(`/v1/videos/${videoId}/content`);
    expect(content.statusCode).toBe(404);
    expect(content.json()).toMatchObject({ error: { code: "content_deleted" } });
    await app.close();
  });
});
