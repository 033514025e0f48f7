import { type FormEvent, useCallback, useEffect, useState } from "react";
import {
  type Account,
  ApiFailure,
  call,
  get,
  type LedgerEntry,
  type Page,
  type Session,
  type Video,
  wholeLedger,
} from "../api.ts";
import { LedgerTable } from "../ledger.tsx";
import { go } from "../route.ts";
import { Failure, FieldError, Pager, Status } from "../ui.tsx";
import { Balances } from "./Account.tsx";
import { DeadLetters } from "./DeadLetters.tsx";

const pageSize = 20;

const Accounts = ({ session }: { session: Session }) => {
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Account> | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [credits, setCredits] = useState("10");
  const [openError, setOpenError] = useState<ApiFailure | null>(null);
  const after = cursors.at(-1);
  useEffect(() => {
    get<Page<Account>>(
      session,
      `/admin/v1/accounts?limit=${pageSize}${after ? `&after=${encodeURIComponent(after)}` : ""}`,
    )
      .then(setPage)
      .catch(setFailure);
  }, [session, after]);
  const open = async (event: FormEvent) => {
    event.preventDefault();
    setOpenError(null);
    try {
      const made = await call<Account>(session, "POST", "/admin/v1/accounts", { name, credits_usd: credits || "0" });
      go(`/admin/accounts/${encodeURIComponent(made.body.id)}`);
    } catch (error) {
      if (error instanceof ApiFailure) setOpenError(error);
      else setFailure(error);
    }
  };
  return (
    <section className="card" aria-labelledby="accounts-title">
      <h1 id="accounts-title">Accounts</h1>
      <Failure error={failure} />
      <div className="table-wrap">
        <table>
          <caption>Accounts by id</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Name</th>
              <th scope="col">Balance</th>
              <th scope="col">Reserved</th>
            </tr>
          </thead>
          <tbody>
            {page?.data.map((account) => (
              <tr key={account.id}>
                <td>
                  <a href={`#/admin/accounts/${encodeURIComponent(account.id)}`}>{account.id}</a>
                </td>
                <td>{account.name}</td>
                <td className="num">{account.balance_usd}</td>
                <td className="num">{account.reserved_usd}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        label="Pages of accounts"
        cursors={cursors}
        setCursors={setCursors}
        hasMore={page?.has_more}
        nextCursor={page?.data.at(-1)?.id}
      />
      <form onSubmit={open} aria-labelledby="open-title">
        <h2 id="open-title">Open an account</h2>
        <div className="grid">
          <div>
            <label htmlFor="account-name">Name</label>
            <input id="account-name" required value={name} onChange={(event) => setName(event.target.value)} />
            <FieldError id="account-name-error" error={openError?.param === "name" ? openError.message : null} />
          </div>
          <div>
            <label htmlFor="account-credits">Opening credits (USD)</label>
            <input
              id="account-credits"
              inputMode="decimal"
              value={credits}
              onChange={(event) => setCredits(event.target.value)}
            />
            <FieldError
              id="account-credits-error"
              error={openError && openError.param !== "name" ? openError.message : null}
            />
          </div>
        </div>
        <button type="submit">Open account</button>
      </form>
    </section>
  );
};

const AccountDetail = ({ session, id }: { session: Session; id: string }) => {
  const [account, setAccount] = useState<Account | null>(null);
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [amount, setAmount] = useState("");
  const [reference, setReference] = useState("");
  const [creditError, setCreditError] = useState<ApiFailure | null>(null);
  const [creditDone, setCreditDone] = useState<string | null>(null);
  const [keyName, setKeyName] = useState("");
  const [issued, setIssued] = useState<{ id: string; key: string } | null>(null);
  const [revokeId, setRevokeId] = useState("");
  const [revoked, setRevoked] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const path = `/admin/v1/accounts/${encodeURIComponent(id)}`;
  const reload = useCallback(() => {
    get<Account>(session, path).then(setAccount).catch(setFailure);
    wholeLedger(session, `${path}/ledger`).then(setEntries).catch(setFailure);
  }, [session, path]);
  useEffect(reload, [reload]);

  const credit = async (event: FormEvent) => {
    event.preventDefault();
    setCreditError(null);
    setCreditDone(null);
    try {
      const answer = await call<Account>(session, "POST", `${path}/credits`, { amount_usd: amount, reference });
      setAccount(answer.body);
      setCreditDone(`Done: the balance is $${answer.body.balance_usd} (a reference already used is applied once).`);
      reload();
    } catch (error) {
      if (error instanceof ApiFailure) setCreditError(error);
      else setFailure(error);
    }
  };
  const issue = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const answer = await call<{ id: string; key: string }>(session, "POST", `${path}/keys`, {
        ...(keyName ? { name: keyName } : {}),
      });
      setIssued(answer.body);
      setRevokeId(answer.body.id);
    } catch (error) {
      setFailure(error);
    }
  };
  const revoke = async (event: FormEvent) => {
    event.preventDefault();
    setRevokeError(null);
    setRevoked(null);
    try {
      await call(session, "DELETE", `/admin/v1/keys/${encodeURIComponent(revokeId.trim())}`);
      setRevoked(`Key ${revokeId.trim()} is revoked: it opens nothing any more.`);
      if (issued?.id === revokeId.trim()) setIssued(null);
    } catch (error) {
      setRevokeError(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section className="card" aria-labelledby="account-title">
      <p>
        <a href="#/admin/accounts">← Accounts</a>
      </p>
      <h1 id="account-title">
        {account?.name ?? "Account"} <span className="muted">{id}</span>
      </h1>
      <Failure error={failure} />
      {account && <Balances account={account} />}
      <div className="grid two">
        <form onSubmit={credit} aria-labelledby="credit-title">
          <h2 id="credit-title">Top up</h2>
          <label htmlFor="credit-amount">Amount (USD; negative adjusts)</label>
          <input
            id="credit-amount"
            required
            inputMode="decimal"
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
            aria-describedby={creditError?.param === "amount_usd" ? "credit-amount-error" : undefined}
          />
          <FieldError
            id="credit-amount-error"
            error={creditError && creditError.param !== "reference" ? creditError.message : null}
          />
          <label htmlFor="credit-reference">Reference (the same reference twice is applied once)</label>
          <input
            id="credit-reference"
            required
            value={reference}
            onChange={(event) => setReference(event.target.value)}
            aria-describedby={creditError?.param === "reference" ? "credit-reference-error" : undefined}
          />
          <FieldError
            id="credit-reference-error"
            error={creditError?.param === "reference" ? creditError.message : null}
          />
          <button type="submit">Top up</button>
          {creditDone && (
            <p role="status" className="ok">
              {creditDone}
            </p>
          )}
        </form>
        <div>
          <form onSubmit={issue} aria-labelledby="issue-title">
            <h2 id="issue-title">Issue an API key</h2>
            <label htmlFor="key-name">Key name</label>
            <input id="key-name" value={keyName} onChange={(event) => setKeyName(event.target.value)} />
            <button type="submit">Issue key</button>
          </form>
          {issued && (
            <div role="status" className="ok issued">
              <p>Shown once: copy it now.</p>
              <p>
                Key id <code data-testid="issued-key-id">{issued.id}</code>
              </p>
              <label htmlFor="issued-key">API key</label>
              <input id="issued-key" readOnly value={issued.key} onFocus={(event) => event.target.select()} />
            </div>
          )}
          <form onSubmit={revoke} aria-labelledby="revoke-title">
            <h2 id="revoke-title">Revoke a key</h2>
            <label htmlFor="revoke-id">Key id</label>
            <input
              id="revoke-id"
              required
              value={revokeId}
              onChange={(event) => setRevokeId(event.target.value)}
              aria-describedby={revokeError ? "revoke-error" : undefined}
            />
            <FieldError id="revoke-error" error={revokeError} />
            <button type="submit" className="danger">
              Revoke key
            </button>
            {revoked && (
              <p role="status" className="ok">
                {revoked}
              </p>
            )}
          </form>
        </div>
      </div>
      <LedgerTable entries={entries} />
    </section>
  );
};

interface ChannelStatus {
  id: string;
  provider: string | null;
  configured: boolean;
  disabled: boolean;
  max_concurrent: number | null;
  jobs_in_flight: number;
  errors_last_hour: number;
  last_error: { message: string; video_id: string; at: string } | null;
}

const Channels = ({ session }: { session: Session }) => {
  const [channels, setChannels] = useState<ChannelStatus[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => {
    const load = () =>
      get<{ data: ChannelStatus[] }>(session, "/admin/v1/channels")
        .then((page) => setChannels(page.data))
        .catch(setFailure);
    void load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [session]);
  return (
    <section className="card" aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <Failure error={failure} />
      <div className="table-wrap">
        <table>
          <caption>Each channel now (refreshed every 5 s)</caption>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">State</th>
              <th scope="col">Jobs in flight</th>
              <th scope="col">Errors, last hour</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {channels?.map((channel) => (
              <tr key={channel.id}>
                <td>
                  {channel.id} <span className="muted">{channel.provider ?? ""}</span>
                </td>
                <td>{!channel.configured ? "removed" : channel.disabled ? "disabled" : "enabled"}</td>
                <td className="num">
                  {channel.jobs_in_flight}
                  {channel.max_concurrent ? ` / ${channel.max_concurrent}` : ""}
                </td>
                <td className="num">{channel.errors_last_hour}</td>
                <td>
                  {channel.last_error ? (
                    <>
                      {channel.last_error.message}{" "}
                      <a href={`#/admin/videos/${encodeURIComponent(channel.last_error.video_id)}`}>
                        {new Date(channel.last_error.at).toLocaleString()}
                      </a>
                    </>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
};

interface HistoryEvent {
  id: string;
  type: string;
  stream: string;
  version: number;
  occurred_at: string;
  data: unknown;
}

const VideoHistory = ({ session, id }: { session: Session; id: string | undefined }) => {
  const [input, setInput] = useState(id ?? "");
  const [history, setHistory] = useState<
    (Video & { account_id: string; deleted: boolean; events: HistoryEvent[] }) | null
  >(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setHistory(null);
    setError(null);
    if (!id) return;
    get<typeof history>(session, `/admin/v1/videos/${encodeURIComponent(id)}`)
      .then(setHistory)
      .catch((failure) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, [session, id]);
  const first = history?.events[0] ? Date.parse(history.events[0].occurred_at) : 0;
  return (
    <section className="card" aria-labelledby="history-title">
      <h1 id="history-title">A video's history</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          go(`/admin/videos/${encodeURIComponent(input.trim())}`);
        }}
      >
        <label htmlFor="history-id">Video id</label>
        <input
          id="history-id"
          required
          value={input}
          onChange={(event) => setInput(event.target.value)}
          aria-describedby={error ? "history-error" : undefined}
        />
        <FieldError id="history-error" error={error} />
        <button type="submit">Show history</button>
      </form>
      {history && (
        <>
          <p>
            <Status status={history.status} progress={history.progress} /> · account{" "}
            <a href={`#/admin/accounts/${encodeURIComponent(history.account_id)}`}>{history.account_id}</a>
            {history.deleted ? " · deleted by its owner" : ""}
          </p>
          <ol className="timeline" aria-label="Events, oldest first">
            {history.events.map((event) => (
              <li key={event.id} className={`stream-${event.stream.split("-")[0]}`}>
                <span className="when">+{((Date.parse(event.occurred_at) - first) / 1000).toFixed(3)} s</span>
                <strong>{event.type}</strong> <span className="muted">{`${event.stream} v${event.version}`}</span>
                <details>
                  <summary>Data</summary>
                  <pre>{JSON.stringify(event.data, null, 2)}</pre>
                </details>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
};

export const AdminPage = ({ session, route }: { session: Session; route: string }) => {
  const account = route.match(/^\/admin\/accounts\/([^/]+)$/);
  if (account) return <AccountDetail session={session} id={decodeURIComponent(account[1]!)} />;
  if (route.startsWith("/admin/channels")) return <Channels session={session} />;
  if (route.startsWith("/admin/dead-letters")) return <DeadLetters session={session} />;
  const video = route.match(/^\/admin\/videos(?:\/([^/]+))?$/);
  if (video) return <VideoHistory session={session} id={video[1] ? decodeURIComponent(video[1]) : undefined} />;
  return <Accounts session={session} />;
};
