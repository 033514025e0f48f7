import { useEffect, useState } from "react";
import { type Account, get, type LedgerEntry, microsOf, type Session, wholeLedger } from "../api.ts";
import { SpendChart } from "../chart.tsx";
import { LedgerTable } from "../ledger.tsx";
import { Failure } from "../ui.tsx";

export const Balances = ({ account }: { account: Account }) => (
  <dl className="balances">
    <div>
      <dt>Balance</dt>
      <dd data-testid="balance">${account.balance_usd}</dd>
    </div>
    <div>
      <dt>Reserved</dt>
      <dd data-testid="reserved">${account.reserved_usd}</dd>
    </div>
  </dl>
);

export const AccountPage = ({ session }: { session: Session }) => {
  const [account, setAccount] = useState<Account | null>(null);
  const [entries, setEntries] = useState<LedgerEntry[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const load = async () => {
      try {
        const [current, ledger] = await Promise.all([
          get<Account>(session, "/v1/account"),
          wholeLedger(session, "/v1/account/ledger"),
        ]);
        if (!live) return;
        setAccount(current);
        setEntries(ledger);
        // Money is held for unfinished videos: look again until it is captured or released.
        if (microsOf(current.reserved_usd) !== 0) timer = setTimeout(load, 3000);
      } catch (error) {
        if (live) setFailure(error);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [session]);
  return (
    <section className="card" aria-labelledby="account-title">
      <h1 id="account-title">Account {account ? `· ${account.name}` : ""}</h1>
      <Failure error={failure} />
      {account && <Balances account={account} />}
      <h2>Spending over time</h2>
      <SpendChart entries={entries} />
      <LedgerTable entries={entries} />
    </section>
  );
};
