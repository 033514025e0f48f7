import type { LedgerEntry } from "./api.ts";

export const LedgerTable = ({ entries }: { entries: LedgerEntry[] }) => (
  <div className="table-wrap">
    <table>
      <caption>Ledger, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          <th scope="col">Amount</th>
          <th scope="col">Video or reference</th>
          <th scope="col">Balance</th>
          <th scope="col">Reserved</th>
        </tr>
      </thead>
      <tbody>
        {[...entries].reverse().map((entry) => (
          <tr key={entry.id}>
            <td>{new Date(entry.occurred_at).toLocaleString()}</td>
            <td>{entry.type}</td>
            <td className="num">{entry.amount_usd ?? entry.quoted_usd ?? ""}</td>
            <td>{entry.video_id ?? entry.reference ?? entry.reason ?? ""}</td>
            <td className="num">{entry.balance_usd}</td>
            <td className="num">{entry.reserved_usd}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);
