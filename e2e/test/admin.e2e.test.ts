import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
interface LedgerEntry {
  id: string;
  object: string;
  version: number;
  type: string;
  occurred_at: string;
  video_id: string | null;
  amount_usd: string | null;
  quoted_usd: string | null;
  reference: string | null;
  reason: string | null;
  balance_usd: string;
  reserved_usd: string;
}
interface LedgerPage {
  object: "list";
  data: LedgerEntry[];
  has_more: boolean;
}
interface VideoHistory {
  id: string;
  object: "video";
  status: string;
  account_id: string;
  deleted: boolean;
  events: Array<{ id: string; type: string; stream: string; version: number; occurred_at: string; data: unknown }>;
}

const SIX_PLACES = /^-?\d+\.\d{6}$/;

describe.skipIf(!nats.url)("the admin API", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const credit = (accountId: string, amount_usd: string | number, reference: string) =>
    platform.admin<Record<string, unknown> & ErrorBody>("POST", `/admin/v1/accounts/${accountId}/credits`, {
      amount_usd,
      reference,
    });
  const ledger = (accountId: string, query = "") =>
    platform.admin<LedgerPage & ErrorBody>("GET", `/admin/v1/accounts/${accountId}/ledger${query}`);

  describe("credits", () => {
    it("tops up at once: the next GET shows it, and a create that needed it succeeds instead of 402", async () => {
      const { accountId, client } = await platform.account("0");
      await expect(client.videos.create({ model: "sora-2", prompt: "a top-up", seconds: "4" })).rejects.toMatchObject({
        status: 402,
      });
      const topped = await credit(accountId, "1.5", "invoice-1");
      expect(topped.status).toBe(200);
      expect(topped.json).toEqual({ id: accountId, name: "e2e", balance_usd: "1.500000", reserved_usd: "0.000000" });
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.500000" });
      const created = await client.videos.create({ model: "sora-2", prompt: "a top-up", seconds: "4" });
      expect(created.status).toBe("queued");
    });

    it("applies the same reference twice once, and answers the account as it stands", async () => {
      const { accountId } = await platform.account("1");
      expect((await credit(accountId, "2", "wire-7")).json).toMatchObject({ balance_usd: "3.000000" });
      const again = await credit(accountId, "2.000000", "wire-7");
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ balance_usd: "3.000000" });
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "3.000000" });
      const credited = (await ledger(accountId)).json.data.filter((entry) => entry.reference === "wire-7");
      expect(credited).toHaveLength(1);
      expect(credited[0]).toMatchObject({ reference: "wire-7", amount_usd: "2.000000" });
    });

    it("refuses the same reference with a different amount with 409, and changes nothing", async () => {
      const { accountId } = await platform.account("1");
      expect((await credit(accountId, "2", "wire-8")).status).toBe(200);
      const reused = await credit(accountId, "3", "wire-8");
      expect(reused.status).toBe(409);
      expect(reused.json.error).toMatchObject({ type: "invalid_request_error", param: "reference" });
      expect(reused.json.error.message).toMatch(/wire-8/);
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "3.000000" });
    });

    it("adjusts with a negative amount", async () => {
      const { accountId } = await platform.account("5");
      const adjusted = await credit(accountId, "-1.25", "correction-1");
      expect(adjusted.status).toBe(200);
      expect(adjusted.json).toMatchObject({ balance_usd: "3.750000", reserved_usd: "0.000000" });
      const entries = (await ledger(accountId)).json.data;
      expect(entries.at(-1)).toMatchObject({
        type: "FundsAdjusted",
        amount_usd: "-1.250000",
        reference: "correction-1",
        balance_usd: "3.750000",
      });
    });

    it("refuses an adjustment beyond the available balance with 409, and changes nothing", async () => {
      const { accountId, client } = await platform.account("1");
      const before = (await ledger(accountId)).json.data;
      const beyond = await credit(accountId, "-1.000001", "too-much");
      expect(beyond.status).toBe(409);
      expect(beyond.json.error).toMatchObject({ type: "invalid_request_error", param: "amount_usd" });
      expect(await platform.balance(accountId)).toEqual({
        id: accountId,
        name: "e2e",
        balance_usd: "1.000000",
        reserved_usd: "0.000000",
      });
      expect((await ledger(accountId)).json.data).toEqual(before);
      // Funds a reservation holds (or a capture took) are not available either: 1 - 0.4 leaves 0.6.
      await client.videos.create({ model: "sora-2", prompt: "holds 0.4", seconds: "4" });
      await waitFor("the reservation", async () =>
        (await ledger(accountId)).json.data.some((entry) => entry.type === "FundsReserved"),
      );
      expect((await credit(accountId, "-0.8", "takes-reserved")).status).toBe(409);
      expect((await credit(accountId, "-0.6", "takes-the-rest")).status).toBe(200);
    });

    it("answers 400 naming the field for a bad amount, and 404 for an unknown account", async () => {
      const { accountId } = await platform.account("1");
      for (const amount of ["abc", "1.1234567", "0", 0]) {
        const bad = await credit(accountId, amount, `bad-${amount}`);
        expect(bad.status, String(amount)).toBe(400);
        expect(bad.json.error).toMatchObject({ type: "invalid_request_error", param: "amount_usd" });
      }
      const missing = await platform.admin<ErrorBody>("POST", `/admin/v1/accounts/${accountId}/credits`, {
        amount_usd: "1",
      });
      expect(missing.status).toBe(400);
      expect(missing.json.error.param).toBe("reference");
      const unknown = await credit("acct_doesnotexist", "1", "nobody");
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.type).toBe("not_found_error");
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.000000" });
    });

    it("refuses amounts and balances past ±1,000,000,000 USD with 400 in OpenAI's shape, and changes nothing", async () => {
      const { accountId } = await platform.account("1");
      // Each under 2^53 micro-dollars, together past it: once both answered 500 and both were applied.
      for (const reference of ["huge-1", "huge-2"]) {
        const huge = await credit(accountId, "5000000000", reference);
        expect(huge.status, reference).toBe(400);
        expect(huge.json.error).toMatchObject({ type: "invalid_request_error", param: "amount_usd" });
      }
      for (const amount of ["9007199254.740993", "-1000000000.000001", 1e300]) {
        const beyond = await credit(accountId, amount, `beyond-${amount}`);
        expect(beyond.status, String(amount)).toBe(400);
        expect(beyond.json.error).toMatchObject({ type: "invalid_request_error", param: "amount_usd" });
      }
      // Within bounds alone, past them added to the balance: refused by billing, whole.
      expect((await credit(accountId, "999999998", "nearly")).status).toBe(200);
      const past = await credit(accountId, "2", "one-too-many");
      expect(past.status).toBe(400);
      expect(past.json.error).toMatchObject({ type: "invalid_request_error", param: "amount_usd" });
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "999999999.000000" });
      const entries = await ledger(accountId);
      expect(entries.status).toBe(200);
      expect(entries.json.data.map((entry) => entry.type)).toEqual(["AccountOpened", "FundsCredited", "FundsCredited"]);
      expect(entries.json.data.map((entry) => entry.reference)).toEqual([null, "opening", "nearly"]);

      const opened = await platform.admin<ErrorBody>("POST", "/admin/v1/accounts", {
        name: "too rich",
        credits_usd: "1000000000.000001",
      });
      expect(opened.status).toBe(400);
      expect(opened.json.error).toMatchObject({ type: "invalid_request_error", param: "credits_usd" });
    });
  });

  describe("ledger", () => {
    it("lists the account's billing events oldest first with 6-place strings, and pages with after/limit", async () => {
      const { accountId } = await platform.account("3");
      await credit(accountId, "1", "l-1");
      await credit(accountId, "-0.5", "l-2");
      await credit(accountId, "0.25", "l-3");

      const all = await ledger(accountId);
      expect(all.status).toBe(200);
      expect(all.json.object).toBe("list");
      expect(all.json.has_more).toBe(false);
      expect(all.json.data.map((entry) => [entry.type, entry.amount_usd, entry.reference, entry.balance_usd])).toEqual([
        // Opening credits are a top-up of their own, right after the opening.
        ["AccountOpened", null, null, "0.000000"],
        ["FundsCredited", "3.000000", "opening", "3.000000"],
        ["FundsCredited", "1.000000", "l-1", "4.000000"],
        ["FundsAdjusted", "-0.500000", "l-2", "3.500000"],
        ["FundsCredited", "0.250000", "l-3", "3.750000"],
      ]);
      const versions = all.json.data.map((entry) => entry.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      const times = all.json.data.map((entry) => Date.parse(entry.occurred_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      for (const entry of all.json.data) {
        expect(entry.object).toBe("ledger.entry");
        expect(entry.balance_usd).toMatch(SIX_PLACES);
        expect(entry.reserved_usd).toMatch(SIX_PLACES);
        if (entry.amount_usd !== null) expect(entry.amount_usd).toMatch(SIX_PLACES);
      }

      const first = await ledger(accountId, "?limit=2");
      expect(first.json.data.map((entry) => entry.reference)).toEqual([null, "opening"]);
      expect(first.json.has_more).toBe(true);
      const second = await ledger(accountId, `?limit=2&after=${first.json.data.at(-1)!.version}`);
      expect(second.json.data.map((entry) => entry.reference)).toEqual(["l-1", "l-2"]);
      expect(second.json.has_more).toBe(true);
      const third = await ledger(accountId, `?limit=2&after=${second.json.data.at(-1)!.version}`);
      expect(third.json.data.map((entry) => entry.reference)).toEqual(["l-3"]);
      expect(third.json.has_more).toBe(false);
      expect([...first.json.data, ...second.json.data, ...third.json.data]).toEqual(all.json.data);
    });

    it("shows a video's reservation and capture, quoted and charged", async () => {
      const { accountId, client } = await platform.account("2");
      const created = await client.videos.create({ model: "sora-2", prompt: "ledgered", seconds: "4" });
      await waitForEnd(client, created.id);
      const captured = await waitFor("the capture in the ledger", async () =>
        (await ledger(accountId)).json.data.find((entry) => entry.type === "ReservationCaptured"),
      );
      expect(captured).toMatchObject({
        video_id: created.id,
        amount_usd: "0.400000",
        quoted_usd: "0.400000",
        balance_usd: "1.600000",
        reserved_usd: "0.000000",
      });
      const reserved = (await ledger(accountId)).json.data.find((entry) => entry.type === "FundsReserved");
      expect(reserved).toMatchObject({ video_id: created.id, amount_usd: "0.400000", reserved_usd: "0.400000" });
      expect(reserved!.version).toBeLessThan(captured.version);
    });

    it("answers 404 for an unknown account and 400 for a bad page", async () => {
      expect((await ledger("acct_doesnotexist")).status).toBe(404);
      expect((await ledger("acct_doesnotexist", "?after=5")).status).toBe(404);
      const { accountId } = await platform.account("1");
      const bad = await ledger(accountId, "?limit=0");
      expect(bad.status).toBe(400);
      expect(bad.json.error.param).toBe("limit");
      const past = await ledger(accountId, "?after=50");
      expect(past.json).toEqual({ object: "list", data: [], has_more: false });
    });
  });

  describe("keys", () => {
    it("revokes a key so it answers 401 at once, while another key of the account keeps working", async () => {
      const { accountId, key: kept } = await platform.account("1");
      const issue = (name: string) =>
        platform.admin<{ id: string; key: string }>("POST", `/admin/v1/accounts/${accountId}/keys`, { name });
      const doomed = (await issue("doomed")).json;
      const other = (await issue("other")).json;
      const list = async (key: string) =>
        (await fetch(`${platform.url}/v1/videos`, { headers: { authorization: `Bearer ${key}` } })).status;
      expect([await list(kept), await list(doomed.key), await list(other.key)]).toEqual([200, 200, 200]);

      const revoked = await platform.admin("DELETE", `/admin/v1/keys/${doomed.id}`);
      expect(revoked).toEqual({ status: 200, json: { id: doomed.id, object: "api_key.deleted", deleted: true } });
      // The very next request: no wait for any projection.
      const refused = await fetch(`${platform.url}/v1/videos`, { headers: { authorization: `Bearer ${doomed.key}` } });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as ErrorBody).error).toMatchObject({ type: "authentication_error" });
      expect([await list(kept), await list(other.key)]).toEqual([200, 200]);

      // A second revoke answers the same; an unknown key is 404.
      const again = await platform.admin("DELETE", `/admin/v1/keys/${doomed.id}`);
      expect(again).toEqual({ status: 200, json: { id: doomed.id, object: "api_key.deleted", deleted: true } });
      expect(await list(doomed.key)).toBe(401);
      const unknown = await platform.admin<ErrorBody>("DELETE", "/admin/v1/keys/key_doesnotexist");
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.type).toBe("not_found_error");
    });
  });

  describe("a video's history", () => {
    it("shows a completed video with its events from all four services, oldest first", async () => {
      const { accountId, client } = await platform.account("10");
      const created = await client.videos.create({ model: "sora-2", prompt: "an audited lighthouse", seconds: "4" });
      expect((await waitForEnd(client, created.id)).status).toBe("completed");
      const wanted = [
        "VideoRequested",
        "FundsReserved",
        "JobSubmitted",
        "JobCompleted",
        "ReservationCaptured",
        "MediaStored",
      ];
      const history = await waitFor("every service's events in the history", async () => {
        const answer = await platform.admin<VideoHistory>("GET", `/admin/v1/videos/${created.id}`);
        const types = answer.json.events?.map((event) => event.type) ?? [];
        return wanted.every((type) => types.includes(type)) ? answer : undefined;
      });
      expect(history.status).toBe(200);
      expect(history.json).toMatchObject({
        id: created.id,
        object: "video",
        status: "completed",
        model: "sora-2",
        seconds: "4",
        account_id: accountId,
        deleted: false,
      });
      const events = history.json.events;
      const categories = new Set(events.map((event) => event.stream.slice(0, event.stream.indexOf("-"))));
      expect([...categories].sort()).toEqual(["account", "asset", "job", "task"]);
      const at = (type: string) => events.findIndex((event) => event.type === type);
      expect(at("VideoRequested")).toBe(0);
      expect(at("VideoRequested")).toBeLessThan(at("FundsReserved"));
      expect(at("FundsReserved")).toBeLessThan(at("JobSubmitted"));
      expect(at("JobSubmitted")).toBeLessThan(at("JobCompleted"));
      expect(at("JobCompleted")).toBeLessThan(at("ReservationCaptured"));
      expect(at("JobCompleted")).toBeLessThan(at("MediaStored"));
      const times = events.map((event) => Date.parse(event.occurred_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
      const requested = events[0]!;
      expect(requested).toMatchObject({ stream: `task-${created.id}`, version: 1 });
      expect(requested.data).toMatchObject({
        videoId: created.id,
        prompt: "an audited lighthouse",
        quoteMicros: 400_000,
      });

      const unknown = await platform.admin<ErrorBody>("GET", "/admin/v1/videos/video_doesnotexist");
      expect(unknown.status).toBe(404);
    });
  });

  it("opens only with the admin token: none, a wrong one, or an API key is 401", async () => {
    const { accountId, key } = await platform.account("1");
    const { json: issued } = await platform.admin<{ id: string }>("POST", `/admin/v1/accounts/${accountId}/keys`, {});
    const routes: Array<[string, string, unknown?]> = [
      ["POST", "/admin/v1/accounts", { name: "x" }],
      ["GET", `/admin/v1/accounts/${accountId}`],
      ["POST", `/admin/v1/accounts/${accountId}/keys`, {}],
      ["POST", `/admin/v1/accounts/${accountId}/credits`, { amount_usd: "100", reference: "stolen" }],
      ["GET", `/admin/v1/accounts/${accountId}/ledger`],
      ["DELETE", `/admin/v1/keys/${issued.id}`],
      ["GET", "/admin/v1/videos/video_x"],
    ];
    for (const authorization of [undefined, `Bearer ${key}`, "Bearer not-the-token"]) {
      for (const [method, path, body] of routes) {
        const response = await fetch(`${platform.url}${path}`, {
          method,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(body ? { "content-type": "application/json" } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        expect(response.status, `${method} ${path} with ${authorization ?? "nothing"}`).toBe(401);
        expect(((await response.json()) as ErrorBody).error.type).toBe("authentication_error");
      }
    }
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.000000" });
    const keyStillWorks = await fetch(`${platform.url}/v1/videos`, { headers: { authorization: `Bearer ${key}` } });
    expect(keyStillWorks.status).toBe(200);
  });

  it("documents every admin route in the OpenAPI document", async () => {
    const document = (await (await fetch(`${platform.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, operation]) => [`${method.toUpperCase()} ${path}`, operation.tags] as const,
      ),
    );
    const admin = new Map<string, string[] | undefined>(routes.filter(([route]) => route.includes("/admin/")));
    for (const route of [
      "POST /admin/v1/accounts",
      "GET /admin/v1/accounts/{id}",
      "POST /admin/v1/accounts/{id}/keys",
      "POST /admin/v1/accounts/{id}/credits",
      "GET /admin/v1/accounts/{id}/ledger",
      "DELETE /admin/v1/keys/{key_id}",
      "GET /admin/v1/videos/{id}",
    ]) {
      expect(admin.get(route), route).toEqual(["Admin"]);
    }
  });
});
