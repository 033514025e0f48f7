import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountSnapshot, ledger } from "@reelgate/billing";
import { builtInCatalog, type Envelope, parseEvent, type TypedEnvelope } from "@reelgate/contracts";
import { openDocumentStore } from "@reelgate/documents";
import { openEventStore } from "@reelgate/event-store";
import { openViews, projectEvent } from "@reelgate/ingress";
import { documentSnapshots } from "@reelgate/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SNAPSHOT_COLLECTION, type SnapshotDocument } from "../src/commands/ledger.ts";

const cli = join(import.meta.dirname, "../src/main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "reelgate-ledger-cli-"));

/** Runs the CLI as its own process against `dataDir`, the embedded stores (no MongoDB). */
const run = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const { MONGODB_URL: _mongo, ...env } = process.env;
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...env, REELGATE_DATA_DIR: dataDir }, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const summaryOf = (stdout: string) => stdout.trim().split("\n").at(-1) ?? "";

const base = { schemaVersion: 1, occurredAt: new Date(0).toISOString(), causationId: null };
let seq = 0;
const envelope = <T extends TypedEnvelope["type"]>(type: T, accountId: string, data: Record<string, unknown>) =>
  ({
    ...base,
    id: `evt_test_${++seq}`,
    type,
    stream: `${type === "VideoRequested" ? "task" : "job"}-${data.videoId}`,
    version: 1,
    correlationId: data.videoId as string,
    accountId,
    data,
  }) as unknown as TypedEnvelope & { type: T };

const spec = { model: "sora-2", seconds: "4", size: "720x1280" };
const requested = (accountId: string, videoId: string) =>
  envelope("VideoRequested", accountId, {
    videoId,
    accountId,
    ...spec,
    prompt: "a test",
    quoteMicros: 400_000,
    remixedFromVideoId: null,
    inputReference: null,
    createdAt: 0,
  });
const completed = (accountId: string, videoId: string, seconds = "4") =>
  envelope("JobCompleted", accountId, {
    videoId,
    channelId: "main",
    upstreamId: `up_${videoId}`,
    ...spec,
    seconds,
    variants: ["video"],
    completedAt: 0,
    expiresAt: null,
  });
const failed = (accountId: string, videoId: string) =>
  envelope("JobFailed", accountId, { videoId, code: "upstream_error", message: "boom", failedAt: 0 });

const alpha = "acct_alpha";
const beta = "acct_beta";
/** Every billing event appended, in store order, as the store hands them back (without position). */
const appended: Envelope[] = [];

/** A real billing ledger on SQLite, with billing's snapshots and ingress's balance view projected from it. */
beforeAll(async () => {
  const store = await openEventStore({ dataDir, service: "billing" });
  const billingDocs = await openDocumentStore({ dataDir, service: "billing" });
  const ingressDocs = await openDocumentStore({ dataDir, service: "ingress" });
  try {
    const billing = ledger({
      store,
      catalog: builtInCatalog,
      now: () => new Date(0),
      onAppended: () => undefined,
      snapshots: await documentSnapshots(billingDocs, SNAPSHOT_COLLECTION, accountSnapshot),
    });
    // alpha: 70 reservations, 40 captured (some at a longer video's price), 25 released, 5 left open:
    // 137 events, so billing snapshots it past version 100.
    await billing.openAccount({ accountId: alpha, name: "Alpha", creditsMicros: 100_000_000, commandId: "c1" });
    for (let i = 0; i < 70; i++) await billing.onVideoRequested(requested(alpha, `video_a${i}`));
    for (let i = 0; i < 40; i++) await billing.onJobCompleted(completed(alpha, `video_a${i}`, i % 4 === 0 ? "8" : "4"));
    for (let i = 40; i < 65; i++) await billing.onJobFailed(failed(alpha, `video_a${i}`));
    // beta: covers two of three, a top-up (repeated: applied once), an adjustment, one release.
    await billing.openAccount({ accountId: beta, name: "Beta", creditsMicros: 1_000_000, commandId: "c2" });
    for (let i = 0; i < 3; i++) await billing.onVideoRequested(requested(beta, `video_b${i}`));
    await billing.credit({ accountId: beta, amountMicros: 2_000_000, reference: "topup-1" });
    await billing.credit({ accountId: beta, amountMicros: 2_000_000, reference: "topup-1" });
    await billing.credit({ accountId: beta, amountMicros: -500_000, reference: "fix-1" });
    await billing.onJobFailed(failed(beta, "video_b0"));

    for await (const { position: _position, ...event } of store.readAll({ category: "account" })) appended.push(event);
    // The balance view, by ingress's own projection; beta's last event not yet seen (the view lags).
    const views = await openViews(ingressDocs);
    const last = appended.at(-1)!;
    for (const event of appended) if (event !== last) await projectEvent(views, parseEvent(event));
  } finally {
    await ingressDocs.close();
    await billingDocs.close();
    await store.close();
  }
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Opens a collection of the data dir, lets `change` edit it, and closes it again. */
const editCollection = async <T extends { id: string }>(
  service: string,
  name: string,
  change: (collection: import("@reelgate/documents").Collection<T>) => Promise<void>,
) => {
  const documents = await openDocumentStore({ dataDir, service });
  try {
    await change(await documents.collection<T>(name, { indexes: [] }));
  } finally {
    await documents.close();
  }
};

describe("reelgate ledger", () => {
  it("built the fixture it means to: both accounts, a snapshot, a lagging view", async () => {
    expect(appended.filter((event) => event.stream === `account-${alpha}`)).toHaveLength(137);
    expect(appended.filter((event) => event.stream === `account-${beta}`).map((event) => event.type)).toEqual([
      "AccountOpened",
      "FundsCredited",
      "FundsReserved",
      "FundsReserved",
      "ReservationRejected",
      "FundsCredited",
      "FundsAdjusted",
      "ReservationReleased",
    ]);
    await editCollection<SnapshotDocument>("billing", SNAPSHOT_COLLECTION, async (snapshots) => {
      expect((await snapshots.get(`account-${alpha}`))?.doc.version).toBeGreaterThanOrEqual(100);
    });
  });

  it("verify exits 0 on a healthy ledger, with the open reservations and the lag in its summary", async () => {
    const { status, stdout, stderr } = await run("ledger", "verify", "--quiet");
    expect(stderr).toBe("");
    expect(jsonLines(stdout)).toEqual([]);
    expect(summaryOf(stdout)).toMatch(
      /verified 145 events of 2 accounts .* 2 balance views \(1 lagging, 0 accounts not in the view yet\), 1 snapshots; 6 open reservations \(2\.400000 USD\); 0 mismatches$/,
    );
    expect(status).toBe(0);
  });

  it("export prints exactly the events appended, as JSON lines, for every account or one", async () => {
    const all = await run("ledger", "export");
    expect(all.status).toBe(0);
    expect(all.stdout.endsWith("\n")).toBe(true);
    expect(
      all.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual(appended);

    const one = await run("ledger", "export", "--account", beta);
    expect(one.status).toBe(0);
    expect(jsonLines(one.stdout)).toEqual(appended.filter((event) => event.accountId === beta));

    const unknown = await run("ledger", "export", "--account", "acct_nobody");
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/acct_nobody has no billing events/);
  });

  it("verify exits 1 with a diff naming the account of a hand-corrupted balance view", async () => {
    await editCollection<{ id: string; balanceMicros: number; version: number }>(
      "ingress",
      "balances",
      async (balances) => {
        const found = await balances.get(alpha);
        if (!found) throw new Error("no balance view of alpha");
        await balances.put({ ...found.doc, balanceMicros: found.doc.balanceMicros + 1 }, found.rev);
      },
    );
    const { status, stdout } = await run("ledger", "verify", "--quiet");
    const diff = jsonLines(stdout);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatchObject({ kind: "balance-view", accountId: alpha, viewVersion: 137 });
    expect((diff[0]!.live as { balanceMicros: number }).balanceMicros).toBe(
      (diff[0]!.replayed as { balanceMicros: number }).balanceMicros + 1,
    );
    expect(diff[0]!.message).toMatch(/balance view of acct_alpha at version 137/);
    expect(summaryOf(stdout)).toMatch(/1 mismatches$/);
    expect(status).toBe(1);
  });

  it("replay rewrites the balance view from the events, and verify exits 0 again", async () => {
    const replay = await run("ledger", "replay");
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(
      /replayed 145 events of 2 accounts in [\d.]+ s \(\d+ events\/s\); wrote 2 balance views/,
    );
    expect(replay.stderr).toMatch(/replay \[.*\] 100% \| 145\/145 events/);
    await editCollection<{ id: string; balanceMicros: number; reservedMicros: number; version: number }>(
      "ingress",
      "balances",
      async (balances) => {
        const lastOfBeta = appended.filter((event) => event.accountId === beta).at(-1)!;
        expect((await balances.get(beta))?.doc).toEqual({
          id: beta,
          name: "Beta",
          version: lastOfBeta.version,
          ...(({ balanceMicros, reservedMicros }) => ({ balanceMicros, reservedMicros }))(
            lastOfBeta.data as { balanceMicros: number; reservedMicros: number },
          ),
        });
      },
    );
    const verify = await run("ledger", "verify", "--quiet");
    expect(summaryOf(verify.stdout)).toMatch(/\(0 lagging, .* 0 mismatches$/);
    expect(verify.status).toBe(0);
  });

  it("verify exits 1 on a corrupted snapshot; replay --drop-snapshots drops it and verify passes", async () => {
    await editCollection<SnapshotDocument>("billing", SNAPSHOT_COLLECTION, async (snapshots) => {
      const found = await snapshots.get(`account-${alpha}`);
      if (!found) throw new Error("no snapshot of alpha");
      const state = { ...found.doc.state, reservedMicros: found.doc.state.reservedMicros - 400_000 };
      await snapshots.put({ ...found.doc, state }, found.rev);
    });
    const broken = await run("ledger", "verify", "--quiet");
    const diff = jsonLines(broken.stdout);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatchObject({ kind: "snapshot", accountId: alpha, fields: ["reservedMicros"] });
    expect(broken.status).toBe(1);

    const replay = await run("ledger", "replay", "--quiet", "--drop-snapshots");
    expect(replay.stdout).toMatch(/dropped 1 account snapshots/);
    expect(replay.status).toBe(0);
    const verify = await run("ledger", "verify", "--quiet");
    expect(summaryOf(verify.stdout)).toMatch(/ 0 snapshots; .* 0 mismatches$/);
    expect(verify.status).toBe(0);
  });

  it("verify names an event whose recorded totals are wrong and a reservation released twice", async () => {
    const store = await openEventStore({ dataDir, service: "billing" });
    try {
      const stream = `account-${beta}`;
      const events = await store.readStream(stream);
      const head = events.at(-1)!;
      const totals = head.data as { balanceMicros: number; reservedMicros: number };
      const extra = (id: string, type: string, data: Record<string, unknown>) => ({
        ...base,
        id,
        type,
        correlationId: beta,
        accountId: beta,
        data,
      });
      await store.append(
        stream,
        [
          // A credit whose recorded balance is a micro-dollar too high.
          extra("evt_bad_credit", "FundsCredited", {
            amountMicros: 1_000_000,
            reference: "topup-2",
            balanceMicros: totals.balanceMicros + 1_000_001,
            reservedMicros: totals.reservedMicros,
          }),
          // video_b0 was released already: releasing it again must show.
          extra("evt_second_release", "ReservationReleased", {
            videoId: "video_b0",
            amountMicros: 0,
            reason: "again",
            balanceMicros: totals.balanceMicros + 1_000_000,
            reservedMicros: totals.reservedMicros,
          }),
        ],
        { expectedVersion: head.version },
      );
    } finally {
      await store.close();
    }
    const { status, stdout } = await run("ledger", "verify", "--quiet");
    const diff = jsonLines(stdout);
    expect(diff).toEqual([
      expect.objectContaining({
        kind: "event-totals",
        accountId: beta,
        eventId: "evt_bad_credit",
        version: 9,
        recorded: expect.objectContaining({ balanceMicros: expect.any(Number) }),
      }),
      expect.objectContaining({
        kind: "reservation",
        accountId: beta,
        eventId: "evt_second_release",
        videoId: "video_b0",
        problem: expect.stringMatching(/^released after ReservationReleased .* had already settled it$/),
      }),
    ]);
    // The view lags behind the two new events: a lag, not a mismatch.
    expect(summaryOf(stdout)).toMatch(/\(1 lagging, .* 2 mismatches$/);
    expect(status).toBe(1);
  });

  it("answers a wrong call with the usage and exit 2", async () => {
    for (const args of [
      ["ledger"],
      ["ledger", "audit"],
      ["ledger", "verify", "--account", alpha],
      ["ledger", "export", "--account"],
      ["ledger", "verify", "--frobnicate"],
      ["ledger", "export", "extra"],
    ]) {
      const { status, stderr } = await run(...args);
      expect({ args, status }).toEqual({ args, status: 2 });
      expect(stderr).toMatch(/ledger verify \[--quiet\]/);
    }
  });
});
