import { type Channel, type Provider, UpstreamError } from "@reelgate/upstream";

export type CheckOutcome = "ok" | "refused" | "unreachable" | "failed" | "unchecked";

export interface CheckRow {
  channel: string;
  provider: string;
  outcome: CheckOutcome;
  detail: string;
  ms: number;
}

/**
 * How a channel is checked without a paid job: the provider's own `check` (a list, or a task that cannot
 * exist); otherwise a status query of a video that cannot exist, whose 404 proves the key was taken. A
 * refused key is `refused`; a network failure, time-out or 5xx `unreachable`.
 */
const probe = async (provider: Provider) => {
  if (provider.check) return provider.check();
  if (provider.follow === "stream") return "unchecked" as const;
  await provider.status("video_reelgate_channels_check").catch((error: unknown) => {
    if (!(error instanceof UpstreamError) || error.status !== 404) throw error;
  });
  return undefined;
};

const outcomeOf = (error: unknown): { outcome: CheckOutcome; detail: string } => {
  if (!(error instanceof UpstreamError)) return { outcome: "failed", detail: (error as Error).message };
  const detail = error.upstreamMessage ?? error.message;
  if (error.status === 401 || error.status === 403 || error.upstreamCode === "invalid_credentials")
    return { outcome: "refused", detail };
  if (error.status === undefined || error.status >= 500) return { outcome: "unreachable", detail: error.message };
  // A 400 for a key (Gemini answers an unknown key with 400 API_KEY_INVALID) is a refusal too.
  if (/api key|api-key|credential|unauthori[sz]ed|authentication/i.test(detail)) return { outcome: "refused", detail };
  return { outcome: "failed", detail };
};

/** Checks every channel, in parallel, each once. */
export const checkChannels = async (
  channels: readonly Channel[],
  providerFor: (channel: Channel) => Provider,
  now: () => number = Date.now,
): Promise<CheckRow[]> =>
  Promise.all(
    channels.map(async (channel): Promise<CheckRow> => {
      const started = now();
      const row = (outcome: CheckOutcome, detail: string) => ({
        channel: channel.id,
        provider: channel.provider,
        outcome,
        detail,
        ms: now() - started,
      });
      try {
        const result = await probe(providerFor(channel));
        if (result === "unchecked") return row("unchecked", "the provider has no free endpoint to ask");
        return row(
          "ok",
          channel.disabled ? "answers and takes the credentials (disabled)" : "answers and takes the credentials",
        );
      } catch (error) {
        const { outcome, detail } = outcomeOf(error);
        return row(outcome, detail.replace(/\s+/g, " ").slice(0, 120));
      }
    }),
  );

/** A plain aligned table, one line per channel. */
export const formatChecks = (rows: readonly CheckRow[]) => {
  const table = [
    ["CHANNEL", "PROVIDER", "RESULT", "TIME", "DETAIL"],
    ...rows.map((row) => [row.channel, row.provider, row.outcome, `${row.ms} ms`, row.detail]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};
