import { useEffect, useState } from "react";
import { call, type Session, type Video } from "./api.ts";

const done = (video: Video) => video.status === "completed" || video.status === "failed";

/**
 * A video kept current while it is unfinished: asked again after the server's `openai-poll-after-ms`
 * when it sends one, else after two seconds.
 */
export const useLiveVideo = (session: Session, initial: Video | string) => {
  const id = typeof initial === "string" ? initial : initial.id;
  const [video, setVideo] = useState<Video | null>(typeof initial === "string" ? null : initial);
  const [error, setError] = useState<unknown>(null);
  // The initial object only seeds the first render; the id is what is followed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new initial object for the same id changes nothing
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const ask = async (first: boolean) => {
      try {
        if (!first || typeof initial === "string" || !done(initial)) {
          const answer = await call<Video>(session, "GET", `/v1/videos/${encodeURIComponent(id)}`);
          if (!live) return;
          setVideo(answer.body);
          setError(null);
          if (done(answer.body)) return;
          const hinted = Number(answer.headers.get("openai-poll-after-ms"));
          timer = setTimeout(() => ask(false), hinted > 0 ? Math.min(hinted, 30_000) : 2000);
        }
      } catch (failure) {
        if (live) setError(failure);
      }
    };
    void ask(true);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [session, id]);
  return { video, error };
};
