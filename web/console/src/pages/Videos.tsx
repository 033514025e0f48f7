import { useEffect, useState } from "react";
import { get, type Page, type Session, type Video } from "../api.ts";
import { useLiveVideo } from "../poll.ts";
import { Failure, Pager, Status, Thumbnail, when } from "../ui.tsx";

const pageSize = 12;

const Row = ({ session, initial }: { session: Session; initial: Video }) => {
  const { video } = useLiveVideo(session, initial);
  const shown = video ?? initial;
  return (
    <li className="video-row">
      <a href={`#/videos/${encodeURIComponent(shown.id)}`} className="video-link">
        {shown.status === "completed" ? (
          <Thumbnail session={session} videoId={shown.id} alt="" />
        ) : (
          <div className="thumb thumb-empty" aria-hidden="true" />
        )}
        <span className="video-prompt">{shown.prompt || shown.id}</span>
      </a>
      <span className="muted">
        {shown.model} · {shown.seconds} s · {shown.size} · {when(shown.created_at)}
      </span>
      <Status status={shown.status} progress={shown.progress} />
      {(shown.status === "queued" || shown.status === "in_progress") && (
        <progress max={100} value={shown.progress} aria-label={`Progress of ${shown.id}`} />
      )}
    </li>
  );
};

/** The caller's videos, newest first, a page at a time (the API's cursor is the last id of the page before). */
export const VideosPage = ({ session }: { session: Session }) => {
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Video> | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const after = cursors.at(-1);
  useEffect(() => {
    get<Page<Video>>(session, `/v1/videos?limit=${pageSize}${after ? `&after=${encodeURIComponent(after)}` : ""}`)
      .then(setPage)
      .catch(setFailure);
  }, [session, after]);
  return (
    <section className="card" aria-labelledby="videos-title">
      <h1 id="videos-title">Videos</h1>
      <Failure error={failure} />
      {page && page.data.length === 0 && (
        <p>
          No videos yet. <a href="#/generate">Generate one.</a>
        </p>
      )}
      <ul className="videos" aria-label="Your videos">
        {page?.data.map((video) => (
          <Row key={video.id} session={session} initial={video} />
        ))}
      </ul>
      <Pager
        label="Pages of videos"
        cursors={cursors}
        setCursors={setCursors}
        hasMore={page?.has_more}
        nextCursor={page?.data.at(-1)?.id}
        previous="Newer"
        next="Older"
      />
    </section>
  );
};
