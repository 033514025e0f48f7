import { type ReactNode, useEffect, useState } from "react";
import { ApiFailure, blobUrl, type Session } from "./api.ts";

/** An error next to the field it is about, announced to screen readers. */
export const FieldError = ({ id, error }: { id: string; error: string | null | undefined }) =>
  error ? (
    <p className="field-error" id={id} role="alert">
      {error}
    </p>
  ) : null;

/** An error no field owns. */
export const Failure = ({ error }: { error: unknown }) =>
  error ? (
    <p className="failure" role="alert">
      {error instanceof ApiFailure ? `${error.message} (${error.status})` : String(error)}
    </p>
  ) : null;

export const Status = ({ status, progress }: { status: string; progress: number }) => (
  <span className={`status status-${status}`}>
    {status === "in_progress" || status === "queued" ? `${status.replace("_", " ")} · ${progress}%` : status}
  </span>
);

export const Section = ({ title, children, id }: { title: string; children: ReactNode; id?: string }) => (
  <section className="card" aria-labelledby={id ?? title}>
    <h2 id={id ?? title}>{title}</h2>
    {children}
  </section>
);

/** A completed video's thumbnail, fetched with the key (an <img src> cannot carry a header). */
export const Thumbnail = ({ session, videoId, alt }: { session: Session; videoId: string; alt: string }) => {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let made: string | null = null;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A video is completed once its main file is stored; the thumbnail may follow a moment later (404 until then).
    const fetchIt = async (attempt: number) => {
      try {
        const blob = await blobUrl(session, `/v1/videos/${encodeURIComponent(videoId)}/content?variant=thumbnail`);
        made = blob;
        if (live) setUrl(blob);
        else URL.revokeObjectURL(blob);
      } catch (error) {
        if (live && error instanceof ApiFailure && error.status === 404 && attempt < 20)
          timer = setTimeout(() => fetchIt(attempt + 1), 1000 + attempt * 500);
      }
    };
    void fetchIt(0);
    return () => {
      live = false;
      clearTimeout(timer);
      if (made) URL.revokeObjectURL(made);
    };
  }, [session, videoId]);
  return url ? <img className="thumb" src={url} alt={alt} /> : <div className="thumb thumb-empty" aria-hidden="true" />;
};

export const when = (unixSeconds: number | null) => (unixSeconds ? new Date(unixSeconds * 1000).toLocaleString() : "—");

/** Previous/next over a cursor-paged list: `cursors` holds the `after` of every page before this one. */
export const Pager = <C,>({
  label,
  cursors,
  setCursors,
  hasMore,
  nextCursor,
  previous = "Previous",
  next = "Next",
}: {
  label: string;
  cursors: C[];
  setCursors: (cursors: C[]) => void;
  hasMore: boolean | undefined;
  /** The cursor of the page after this one (its last item's), if there is a last item. */
  nextCursor: C | undefined;
  previous?: string;
  next?: string;
}) => (
  <nav className="pager" aria-label={label}>
    <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
      {previous}
    </button>
    <span className="muted">Page {cursors.length + 1}</span>
    <button
      type="button"
      disabled={!hasMore}
      onClick={() => {
        if (nextCursor !== undefined) setCursors([...cursors, nextCursor]);
      }}
    >
      {next}
    </button>
  </nav>
);
