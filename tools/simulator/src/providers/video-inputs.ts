import type { SimulatorContext } from "../context.ts";
import { statusAt } from "../jobs.ts";
import { mp4SecondsOf } from "../media/mp4.ts";

/**
 * The video a task shape is given to edit or extend, as Runway and Luma pass it: a link to a video the simulator made
 * (its media link, `/media/{job}.mp4`), or a `data:video/…;base64,` URI. What the simulator needs of it is its length
 * and size; anything else is refused in the shape's own words.
 */
export type VideoInput =
  | { kind: "job"; seconds: string; size: string; model: string; jobId: string }
  | { kind: "data"; seconds: number }
  | { kind: "refused"; reason: string };

export const videoInputOf = (context: SimulatorContext, uri: unknown): VideoInput => {
  if (typeof uri !== "string" || uri === "") return { kind: "refused", reason: "a video URI is required" };
  const data = /^data:video\/[\w.+-]+;base64,(.*)$/s.exec(uri);
  if (data) {
    const seconds = mp4SecondsOf(Buffer.from(data[1] ?? "", "base64"));
    return seconds === undefined
      ? { kind: "refused", reason: "the data URI holds no readable MP4" }
      : { kind: "data", seconds };
  }
  const url = URL.parse(uri);
  const jobId = url ? /\/media\/([^/]+)\.mp4$/.exec(url.pathname)?.[1] : undefined;
  const job = jobId ? context.jobs.get(jobId) : undefined;
  if (!job) return { kind: "refused", reason: "the video URI could not be fetched" };
  if (statusAt(job, context.now()).status !== "completed")
    return { kind: "refused", reason: "the video URI could not be fetched" };
  return { kind: "job", seconds: job.seconds, size: job.size, model: job.model, jobId: job.id };
};
