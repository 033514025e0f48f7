import { type FormEvent, useEffect, useState } from "react";
import { ApiFailure, call, type Session, type Video } from "../api.ts";
import { useLiveVideo } from "../poll.ts";
import { go } from "../route.ts";
import { Failure, FieldError, Status, Thumbnail, when } from "../ui.tsx";

/** The signed URL a browser plays without the key (the legacy query's `video_result`). */
const usePlayableUrl = (session: Session, video: Video | null) => {
  const [url, setUrl] = useState<string | null>(null);
  const completed = video?.status === "completed";
  useEffect(() => {
    if (!completed || !video) return;
    let live = true;
    call<{ video_result: string | null }>(session, "POST", "/v1/videos/query", { video_id: video.id })
      .then((answer) => live && setUrl(answer.body.video_result))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [session, video?.id, completed, video]);
  return url;
};

export const VideoPage = ({ session, id }: { session: Session; id: string }) => {
  const { video, error } = useLiveVideo(session, id);
  const url = usePlayableUrl(session, video);
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [remixPrompt, setRemixPrompt] = useState("");
  const [remixError, setRemixError] = useState<string | null>(null);

  const remove = async () => {
    try {
      await call(session, "DELETE", `/v1/videos/${encodeURIComponent(id)}`);
      go("/videos");
    } catch (problem) {
      setFailure(problem);
    }
  };
  const remix = async (event: FormEvent) => {
    event.preventDefault();
    setRemixError(null);
    try {
      const made = await call<Video>(session, "POST", `/v1/videos/${encodeURIComponent(id)}/remix`, {
        prompt: remixPrompt,
      });
      go(`/videos/${encodeURIComponent(made.body.id)}`);
    } catch (problem) {
      if (problem instanceof ApiFailure && problem.status < 500) setRemixError(problem.message);
      else setFailure(problem);
    }
  };

  if (!video)
    return (
      <section className="card">
        <h1>Video {id}</h1>
        {error ? <Failure error={error} /> : <p>Loading…</p>}
      </section>
    );
  return (
    <section className="card" aria-labelledby="video-title">
      <p>
        <a href="#/videos">← Videos</a>
      </p>
      <h1 id="video-title">{video.prompt || video.id}</h1>
      <p aria-live="polite">
        <Status status={video.status} progress={video.progress} />
      </p>
      {(video.status === "queued" || video.status === "in_progress") && (
        <progress max={100} value={video.progress} aria-label="Progress" />
      )}
      {video.error && <p className="failure">{video.error.message}</p>}
      <div className="player-row">
        {url ? (
          // biome-ignore lint/a11y/useMediaCaption: generated videos come without captions
          <video data-testid="player" controls preload="metadata" src={url} aria-label={`Video: ${video.prompt}`} />
        ) : video.status === "completed" ? (
          <p>Getting the video…</p>
        ) : null}
        {video.status === "completed" && (
          <figure>
            <Thumbnail session={session} videoId={video.id} alt="Thumbnail" />
            <figcaption className="muted">Thumbnail</figcaption>
          </figure>
        )}
      </div>
      <dl className="details">
        <dt>Id</dt>
        <dd>{video.id}</dd>
        <dt>Model</dt>
        <dd>{video.model}</dd>
        <dt>Size</dt>
        <dd>{video.size}</dd>
        <dt>Seconds</dt>
        <dd>{video.seconds}</dd>
        <dt>Created</dt>
        <dd>{when(video.created_at)}</dd>
        <dt>Completed</dt>
        <dd>{when(video.completed_at)}</dd>
        <dt>Expires</dt>
        <dd>{when(video.expires_at)}</dd>
        {video.remixed_from_video_id && (
          <>
            <dt>Remix of</dt>
            <dd>
              <a href={`#/videos/${encodeURIComponent(video.remixed_from_video_id)}`}>{video.remixed_from_video_id}</a>
            </dd>
          </>
        )}
      </dl>
      <div className="actions">
        {url && (
          <a className="button" href={url} download={`${video.id}.mp4`}>
            Download
          </a>
        )}
        {confirming ? (
          <fieldset className="confirm">
            <legend>Delete this video and its media for good?</legend>
            <button type="button" className="danger" onClick={remove}>
              Yes, delete
            </button>
            <button type="button" className="quiet" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </fieldset>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </div>
      {video.status === "completed" && (
        <form onSubmit={remix} className="remix" aria-labelledby="remix-title">
          <h2 id="remix-title">Remix</h2>
          <label htmlFor="remix-prompt">What to change</label>
          <textarea
            id="remix-prompt"
            required
            rows={2}
            value={remixPrompt}
            onChange={(event) => setRemixPrompt(event.target.value)}
            aria-describedby={remixError ? "remix-error" : undefined}
          />
          <FieldError id="remix-error" error={remixError} />
          <button type="submit">Remix</button>
        </form>
      )}
      <Failure error={failure} />
    </section>
  );
};
