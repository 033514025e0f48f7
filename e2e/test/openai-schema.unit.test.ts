import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { asOpenAiVerbatim, deviations, operationOf, operations, problemsWith } from "./openai-schema.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const vendored = join(repoRoot, "e2e/fixtures/openai/videos.schema.json");

/** `../shared` beside the repo; in a git worktree, also beside the main checkout the worktree belongs to. */
const sharedCandidates = () => {
  const roots = [repoRoot];
  const dotGit = join(repoRoot, ".git");
  if (existsSync(dotGit) && !existsSync(join(dotGit, "HEAD"))) {
    const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
    // gitdir: <main>/.git/worktrees/<name>
    if (gitdir) roots.push(dirname(dirname(dirname(resolve(repoRoot, gitdir)))));
  }
  return roots.map((root) => join(root, "../shared/openai/videos.schema.json"));
};
const upstream = sharedCandidates().find((path) => existsSync(path));
if (!upstream) console.warn("skipping the vendored-copy check: no ../shared/openai/videos.schema.json beside the repo");

describe("OpenAI's videos schema, vendored", () => {
  it.skipIf(!upstream)("is byte for byte ../shared/openai/videos.schema.json", () => {
    expect(readFileSync(vendored, "utf8")).toBe(readFileSync(upstream!, "utf8"));
  });

  it("still names the upstream commit it was cut from", () => {
    const schema = JSON.parse(readFileSync(vendored, "utf8")) as { $comment: string; "x-source": { commit: string } };
    expect(schema["x-source"].commit).toMatch(/^[0-9a-f]{40}$/);
    expect(schema.$comment).toContain(schema["x-source"].commit);
  });
});

const video = {
  id: "video_1",
  object: "video",
  model: "sora-2",
  status: "completed",
  progress: 100,
  created_at: 1_764_600_000,
  completed_at: 1_764_600_060,
  expires_at: 1_764_686_400,
  prompt: "a cat",
  seconds: "4",
  size: "720x1280",
  remixed_from_video_id: null,
  error: null,
};
const json = (status: number, body: unknown) => ({
  status,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify(body),
});

describe("the validator", () => {
  it("accepts a Video as OpenAI answers it, with extra fields (the legacy task fields)", () => {
    expect(problemsWith("GET /videos/{video_id}", json(200, video))).toEqual([]);
    expect(problemsWith("POST /videos", json(200, { ...video, task_id: "video_1", task_status: "succeed" }))).toEqual(
      [],
    );
  });

  it("refuses a Video missing a field, with a status outside the four, or a timestamp in milliseconds", () => {
    const { error: _, ...noError } = video;
    expect(problemsWith("GET /videos/{video_id}", json(200, noError)).join()).toMatch(/required property 'error'/);
    expect(problemsWith("GET /videos/{video_id}", json(200, { ...video, status: "processing" }))).not.toEqual([]);
    expect(problemsWith("GET /videos/{video_id}", json(200, { ...video, created_at: Date.now() })).join()).toMatch(
      /unixtime/,
    );
    expect(problemsWith("GET /videos/{video_id}", json(200, { ...video, error: { message: "x" } }))).not.toEqual([]);
  });

  it("deviates only where docs/api.md says: any WxH size, and nothing else loosened", () => {
    expect(deviations.map((deviation) => deviation.pointer)).toEqual(["/$defs/VideoResource/properties/size"]);
    const big = json(200, { ...video, model: "sora-2-pro", size: "1920x1080" });
    expect(problemsWith("GET /videos/{video_id}", big, asOpenAiVerbatim)).not.toEqual([]);
    expect(problemsWith("GET /videos/{video_id}", big)).toEqual([]);
    expect(problemsWith("GET /videos/{video_id}", json(200, { ...video, size: "large" }))).not.toEqual([]);
    // A model OpenAI does not list is a string its schema already allows: no deviation needed.
    expect(
      problemsWith("GET /videos/{video_id}", json(200, { ...video, model: "sora_video2" }), asOpenAiVerbatim),
    ).toEqual([]);
  });

  it("checks every error answer against ErrorResponse, and refuses one that is not JSON", () => {
    const error = { error: { message: "No video found.", type: "not_found_error", param: null, code: "not_found" } };
    expect(problemsWith("GET /videos/{video_id}/content", json(404, error))).toEqual([]);
    expect(problemsWith("DELETE /videos/{video_id}", json(404, { error: { message: "x", type: "y" } }))).not.toEqual(
      [],
    );
    expect(problemsWith("GET /videos", json(401, { message: "no" }))).not.toEqual([]);
    expect(problemsWith("GET /videos", { status: 500, contentType: "text/plain", body: "oops" })).not.toEqual([]);
    // The content route's bytes are not a JSON answer.
    expect(problemsWith("GET /videos/{video_id}/content", { status: 200, contentType: "video/mp4", body: "" })).toEqual(
      [],
    );
  });

  it("knows each OpenAI operation from Reelgate's path, and no legacy route as one", () => {
    expect(operations).toHaveLength(10);
    expect(operationOf("POST", "/v1/videos")).toBe("POST /videos");
    expect(operationOf("GET", "/v1/videos")).toBe("GET /videos");
    expect(operationOf("get", "/v1/videos/video_1")).toBe("GET /videos/{video_id}");
    expect(operationOf("DELETE", "/v1/videos/video_1")).toBe("DELETE /videos/{video_id}");
    expect(operationOf("GET", "/v1/videos/video_1/content")).toBe("GET /videos/{video_id}/content");
    expect(operationOf("POST", "/v1/videos/video_1/remix")).toBe("POST /videos/{video_id}/remix");
    expect(operationOf("POST", "/v1/videos/edits")).toBe("POST /videos/edits");
    expect(operationOf("GET", "/v1/videos/characters/char_1")).toBe("GET /videos/characters/{character_id}");
    for (const [method, path] of [
      ["POST", "/v1/videos/generations"],
      ["POST", "/v1/videos/query"],
      ["GET", "/v1/videos/query/video_1"],
      ["POST", "/v1/video/generations/result"],
      ["GET", "/v1/webhook_endpoints"],
    ] as const) {
      expect(operationOf(method, path), `${method} ${path}`).toBeUndefined();
    }
  });
});
