import { type LedgerEntry, microsOf, usd } from "./api.ts";

/** What was spent when: captures charge; everything else (reservations, top-ups) is not spending. */
export const spendingOverTime = (entries: LedgerEntry[]) => {
  let total = 0;
  const captures = entries
    .filter((entry) => entry.type === "ReservationCaptured")
    .map((entry) => {
      total += microsOf(entry.amount_usd);
      return { at: Date.parse(entry.occurred_at), total };
    });
  // The line starts at zero when the ledger does (the account was opened).
  return captures.length && entries[0] ? [{ at: Date.parse(entries[0].occurred_at), total: 0 }, ...captures] : [];
};

/** Cumulative spending as an SVG line, drawn by React (no chart library, nothing that runs script from data). */
export const SpendChart = ({ entries }: { entries: LedgerEntry[] }) => {
  const points = spendingOverTime(entries);
  const width = 640;
  const height = 200;
  const pad = 36;
  if (points.length === 0) return <p className="muted">Nothing spent yet.</p>;
  const first = points[0]!.at;
  const last = Math.max(points.at(-1)!.at, first + 1);
  const top = Math.max(points.at(-1)!.total, 1);
  const x = (at: number) => pad + ((at - first) / (last - first)) * (width - 2 * pad);
  const y = (total: number) => height - pad - (total / top) * (height - 2 * pad);
  // A step line: the total holds until the next charge.
  const path = points
    .map((point, index) => (index === 0 ? `M${x(point.at)},${y(point.total)}` : `H${x(point.at)} V${y(point.total)}`))
    .join(" ");
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="spend-title spend-desc">
        <title id="spend-title">Spending over time</title>
        <desc id="spend-desc">
          {`${usd(points.at(-1)!.total)} spent in ${points.length - 1} videos, from ${new Date(first).toLocaleString()} to ${new Date(last).toLocaleString()}`}
        </desc>
        <line className="axis" x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} />
        <line className="axis" x1={pad} y1={pad} x2={pad} y2={height - pad} />
        <text className="tick" x={pad - 4} y={pad} textAnchor="end">
          {usd(top)}
        </text>
        <text className="tick" x={pad - 4} y={height - pad} textAnchor="end">
          $0
        </text>
        <text className="tick" x={pad} y={height - pad + 16}>
          {new Date(first).toLocaleTimeString()}
        </text>
        <text className="tick" x={width - pad} y={height - pad + 16} textAnchor="end">
          {new Date(last).toLocaleTimeString()}
        </text>
        <path className="line" d={path} />
        {points.slice(1).map((point) => (
          <circle key={`${point.at}-${point.total}`} className="dot" cx={x(point.at)} cy={y(point.total)} r={3} />
        ))}
      </svg>
      <figcaption className="muted">Cumulative spending (captured charges)</figcaption>
    </figure>
  );
};
