import { createHash } from "node:crypto";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();

interface RecordedRequest {
  method: string;
  path: string;
  fields: string[];
  responseId?: string;
}

describe.skipIf(!nats.url)("a video from request to stored file", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("creates with the openai SDK, completes, downloads the simulator's bytes, and charges the built-in price once", async () => {
    const { accountId, client } = await platform.account("10");
    const created = await client.videos.create({
      model: "sora-2",
      prompt: "a lighthouse at dawn",
      seconds: "8",
      size: "720x1280",
    });
    expect(created).toMatchObject({
      object: "video",
      status: "queued",
      model: "sora-2",
      seconds: "8",
      size: "720x1280",
      progress: 0,
    });
    expect(created.id).toMatch(/^video_/);

    const done = await waitForEnd(client, created.id);
    expect(done).toMatchObject({ status: "completed", progress: 100, error: null });
    expect(done.completed_at).toBeGreaterThanOrEqual(created.created_at);

    const content = await client.videos.downloadContent(created.id);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(content.headers.get("content-type")).toBe("video/mp4");
    const jobs = await platform.simulator<Array<{ id: string; prompt: string }>>("/_control/jobs");
    const job = jobs.find((candidate) => candidate.prompt === "a lighthouse at dawn");
    const received = await platform.simulator<RecordedRequest[]>("/_control/requests");
    const submit = received.find((request) => request.method === "POST" && request.responseId === job?.id);
    expect([...(submit?.fields ?? [])].sort()).toEqual(["model", "prompt", "seconds", "size"]);
    const served = await platform.simulator<{ sha256: string }>(`/_control/jobs/${job?.id}/sha256?variant=video`);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(served.sha256);

    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "9.200000", reserved_usd: "0.000000" });
  });

  it("ends a job the upstream fails as failed, with its error, and releases the reservation in full", async () => {
    const { accountId, client } = await platform.account("1");
    const created = await client.videos.create({ model: "sora-2", prompt: "[fail] a forbidden scene", seconds: "4" });
    const done = await waitForEnd(client, created.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("content_policy_violation");
    expect(done.error?.message).toBeTruthy();
    await waitFor("the release", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.000000", reserved_usd: "0.000000" });
  });
});
