import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildSimulator } from "../src/app.ts";
import { AUTH, createVideo } from "./helpers.ts";

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

const fields = { model: "sora-2", prompt: "a lighthouse", seconds: "4", size: "720x1280" };
const jobs = async (url = "/_control/jobs") => (await app.inject({ method: "GET", url })).json() as unknown[];

describe("Idempotency-Key on the videos API shape", () => {
  it("answers a create repeated with the same key with the first job, and makes no second one", async () => {
    app = await buildSimulator();
    const first = await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_1" });
    const again = await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_1" });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(await jobs()).toHaveLength(1);
  });

  it("makes a job per create without a key or with another key", async () => {
    app = await buildSimulator();
    const a = await createVideo(app, fields);
    const b = await createVideo(app, fields);
    const c = await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_2" });
    expect(new Set([a.json().id, b.json().id, c.json().id]).size).toBe(3);
    expect(await jobs()).toHaveLength(3);
  });

  it("refuses a key reused for another request (409), and remembers no key for a faulted create", async () => {
    app = await buildSimulator();
    await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_3" });
    const other = await createVideo(app, { ...fields, prompt: "a harbour" }, { ...AUTH, "idempotency-key": "video_3" });
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({ code: "idempotency_key_reused" });

    await app.inject({ method: "POST", url: "/_control/faults", payload: { submit: { status: 503, count: 1 } } });
    const faulted = await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_4" });
    expect(faulted.statusCode).toBe(503);
    const retried = await createVideo(app, fields, { ...AUTH, "idempotency-key": "video_4" });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
    expect(await jobs()).toHaveLength(2);
  });
});
