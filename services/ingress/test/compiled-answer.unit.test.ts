import { createdVideoSchema, type Video, videoListSchema, videoSchema, videoStatuses } from "@reelgate/contracts";
import { serializerCompiler } from "fastify-type-provider-zod";
import { describe, expect, it } from "vitest";
import { compiledAnswers } from "../src/http/compiled-answer.ts";

/** zod's serializer, as app.ts gives it every other answer. */
const zodSerializer = (schema: typeof videoSchema | typeof createdVideoSchema | typeof videoListSchema) =>
  serializerCompiler({ schema, method: "GET", url: "/test" } as Parameters<typeof serializerCompiler>[0]);

// A seeded generator: the same cases on every run.
let seed = 14;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
/** Pieces JSON escapes, or that a fast path might: quotes, backslashes, control characters, lone surrogates. */
const pieces = [
  '"',
  "\\",
  "\n",
  "\u0000",
  "\u001f",
  "\u007f",
  "\u2028",
  "\ud800",
  "\udfff",
  "😀",
  "é",
  "a",
  "prompt ",
  "/",
];
const text = () => {
  const length = pick([0, 1, 7, 8, 41, 42, 43, 200, 5001]);
  let out = "";
  while (out.length < Math.min(length, 64)) out += pick(pieces);
  // Long strings (past fast-json-stringify's 42- and 5,000-character paths) repeat a random run: cheap to make.
  return out.repeat(Math.ceil(length / Math.max(1, out.length))).slice(0, length);
};
const integer = () => pick([0, 1, 100, 1_796_211_364, 2 ** 53 - 1, -5]);

const video = (): Video => ({
  id: `video_${text()}`,
  object: "video",
  model: pick(["sora-2", "sora-2-pro", text()]),
  status: pick(videoStatuses),
  progress: pick([0, 1, 50, 100]),
  created_at: integer(),
  completed_at: pick([null, integer()]),
  expires_at: pick([null, integer()]),
  prompt: text(),
  seconds: pick(["4", "8", text()]),
  size: pick(["720x1280", text()]),
  remixed_from_video_id: pick([null, `video_${text()}`]),
  error: pick([null, { code: text(), message: text() }]),
});

describe("compiled answers: the Video answers' bytes as zod's serializer writes them", () => {
  it("writes a Video as zod's serializer does, byte for byte", () => {
    const compiled = compiledAnswers.get(videoSchema)!;
    const zod = zodSerializer(videoSchema);
    for (let i = 0; i < 1000; i++) {
      const value = video();
      expect(compiled(value)).toBe(zod(value));
    }
  });

  it("drops fields the schema does not name and keeps the schema's order, as zod does", () => {
    const compiled = compiledAnswers.get(videoSchema)!;
    const zod = zodSerializer(videoSchema);
    const { error, id, ...rest } = video();
    const shuffled = { extra: "not in the schema", error, ...rest, id, task_id: "t" };
    expect(compiled(shuffled)).toBe(zod(shuffled));
    expect(Object.keys(JSON.parse(compiled(shuffled)))).toEqual(Object.keys(videoSchema.shape));
  });

  it("writes a created video and a list of videos as zod's serializer does", () => {
    const created = compiledAnswers.get(createdVideoSchema)!;
    const list = compiledAnswers.get(videoListSchema)!;
    for (let i = 0; i < 300; i++) {
      const value = { ...video(), task_id: text(), task_status: "succeed", message: pick(["", text()]) };
      expect(created(value)).toBe(zodSerializer(createdVideoSchema)(value));
      const data = Array.from({ length: pick([0, 1, 3]) }, video);
      const page = {
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: pick([true, false]),
      };
      expect(list(page)).toBe(zodSerializer(videoListSchema)(page));
    }
  });

  it("still refuses an answer that lacks a field, as zod's serializer does", () => {
    const { prompt: _prompt, ...incomplete } = video();
    expect(() => compiledAnswers.get(videoSchema)!(incomplete)).toThrow(/prompt/);
    expect(() => zodSerializer(videoSchema)(incomplete)).toThrow();
  });
});
