import { useCallback, useEffect, useState } from "react";
import { call, get, type Page, type Session } from "../api.ts";
import { Failure, Pager } from "../ui.tsx";

/** One dead letter as GET /admin/v1/dead_letters shows it. */
interface DeadLetter {
  sequence: number;
  service: string;
  consumer: string;
  subject: string;
  event_type: string | null;
  event_id: string | null;
  video_id: string | null;
  deliveries: number;
  reason: string;
  dead_at: string;
  replayable: boolean;
}

interface ReplayResult {
  replayed: number;
  not_replayed: number[];
  command: string | null;
}

const pageSize = 20;
const services = ["ingress", "billing", "poller", "storage", "notifier"];

/** The dead letters of every service: a page at a time, filtered by service, replayed after a confirmation. */
export const DeadLetters = ({ session }: { session: Session }) => {
  const [service, setService] = useState("");
  // The sequence each page after the first starts after.
  const [cursors, setCursors] = useState<number[]>([]);
  const [page, setPage] = useState<Page<DeadLetter> | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirming, setConfirming] = useState<"selected" | "all" | null>(null);
  const [result, setResult] = useState<ReplayResult | null>(null);
  const after = cursors.at(-1);
  const load = useCallback(() => {
    const query = new URLSearchParams({ limit: String(pageSize) });
    if (service) query.set("service", service);
    if (after) query.set("after", String(after));
    get<Page<DeadLetter>>(session, `/admin/v1/dead_letters?${query}`)
      .then((answer) => {
        setPage(answer);
        setFailure(null);
      })
      .catch(setFailure);
  }, [session, service, after]);
  useEffect(load, [load]);

  const toggle = (sequence: number) => {
    const next = new Set(selected);
    if (!next.delete(sequence)) next.add(sequence);
    setSelected(next);
  };
  const replay = async () => {
    const body = confirming === "selected" ? { sequences: [...selected] } : service ? { service } : {};
    setConfirming(null);
    try {
      const answer = await call<ReplayResult>(session, "POST", "/admin/v1/dead_letters/replay", body);
      setResult(answer.body);
      setSelected(new Set());
      setCursors([]);
      load();
    } catch (error) {
      setFailure(error);
    }
  };
  const scope = service ? `every dead letter of ${service}` : "every dead letter";

  return (
    <section className="card" aria-labelledby="dead-title">
      <h1 id="dead-title">Dead letters</h1>
      <p className="muted">
        Messages a consumer gave up on (invalid, or failing past its <code>max_deliver</code>), oldest first. Replay
        republishes one on its original subject and removes it; one that fails again comes back with a new sequence.
        Ingress replays only its own events' subjects; the rest are replayed with{" "}
        <code>reelgate dead-letters replay</code> (docs/security.md).
      </p>
      <Failure error={failure} />
      <label htmlFor="dead-service">Service</label>
      <select
        id="dead-service"
        value={service}
        onChange={(event) => {
          setService(event.target.value);
          setCursors([]);
          setSelected(new Set());
        }}
      >
        <option value="">Every service</option>
        {services.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <div className="table-wrap">
        <table>
          <caption>Dead letters{service ? ` of ${service}` : ""}, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Replay</th>
              <th scope="col">Seq</th>
              <th scope="col">Service / consumer</th>
              <th scope="col">Event</th>
              <th scope="col">Video</th>
              <th scope="col">Deliveries</th>
              <th scope="col">Reason</th>
              <th scope="col">Dead at</th>
            </tr>
          </thead>
          <tbody>
            {page?.data.map((letter) => (
              <tr key={letter.sequence} data-testid="dead-letter">
                <td>
                  {letter.replayable ? (
                    <input
                      type="checkbox"
                      aria-label={`Select dead letter ${letter.sequence}`}
                      checked={selected.has(letter.sequence)}
                      onChange={() => toggle(letter.sequence)}
                    />
                  ) : (
                    <span className="muted" title="Not on ingress's subjects: replay it with the CLI">
                      CLI
                    </span>
                  )}
                </td>
                <td className="num">{letter.sequence}</td>
                <td>
                  {letter.service} <span className="muted">{letter.consumer}</span>
                </td>
                <td>
                  {letter.event_type ?? "—"} <span className="muted">{letter.subject}</span>
                </td>
                <td>
                  {letter.video_id ? (
                    <a href={`#/admin/videos/${encodeURIComponent(letter.video_id)}`}>{letter.video_id}</a>
                  ) : (
                    "—"
                  )}
                </td>
                <td className="num">{letter.deliveries}</td>
                <td className="reason">{letter.reason}</td>
                <td>{new Date(letter.dead_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page && page.data.length === 0 && <p role="status">No dead letters{service ? ` of ${service}` : ""}.</p>}
      <Pager
        label="Pages of dead letters"
        cursors={cursors}
        setCursors={setCursors}
        hasMore={page?.has_more}
        nextCursor={page?.data.at(-1)?.sequence}
      />
      <div className="actions">
        {confirming ? (
          <fieldset className="confirm">
            <legend>
              Replay {confirming === "selected" ? `the ${selected.size} selected dead letters` : scope} on their
              original subjects?
            </legend>
            <button type="button" className="danger" onClick={replay}>
              Yes, replay
            </button>
            <button type="button" className="quiet" onClick={() => setConfirming(null)}>
              Not now
            </button>
          </fieldset>
        ) : (
          <>
            <button type="button" disabled={selected.size === 0} onClick={() => setConfirming("selected")}>
              Replay selected…
            </button>
            <button type="button" disabled={!page?.data.length} onClick={() => setConfirming("all")}>
              Replay all…
            </button>
          </>
        )}
      </div>
      {result && (
        <div role="status" className="ok">
          <p>Replayed {result.replayed} dead letters.</p>
          {result.command && (
            <p>
              {result.not_replayed.length} are on other services' subjects; replay them with{" "}
              <code>{result.command}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
};
