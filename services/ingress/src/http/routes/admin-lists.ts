import { accountViewSchema, formatUsd } from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type ConfiguredChannel, channelStatuses } from "../../views/channel-status.ts";
import { fromVideoEventRow, type VideoEventView } from "../../views/video-history.ts";
import type { Views } from "../../views/views.ts";
import type { AdminGuard } from "../auth.ts";
import { type RouteDoc, routeSchema } from "../route-spec.ts";

const accountsQuerySchema = z.strictObject({
  after: z.string().optional().describe("The id of the last account already read; the page starts after it"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const accountListSchema = z.object({
  object: z.literal("list"),
  data: z.array(accountViewSchema),
  has_more: z.boolean(),
});
const channelStatusSchema = z.object({
  id: z.string(),
  provider: z.string().nullable(),
  configured: z.boolean().describe("In the channels file now (false: only seen in events, since removed)"),
  disabled: z.boolean(),
  max_concurrent: z.number().int().nullable(),
  jobs_in_flight: z.number().int(),
  errors_last_hour: z.number().int(),
  last_error: z.object({ message: z.string(), video_id: z.string(), at: z.string() }).nullable(),
});
const channelListSchema = z.object({ object: z.literal("list"), data: z.array(channelStatusSchema) });

export interface AdminListDeps {
  views: Views;
  guard: AdminGuard;
  /** The channels in force now (the channels file, followed live). */
  channels: () => ConfiguredChannel[];
  /** How far back a job may still be in flight: the poller's job deadline. */
  jobDeadlineMs: number;
  now: () => Date;
}

const page = 1000;

/**
 * The video events since `sinceMs`, oldest first (ties in time by event id), read newest first in pages from the
 * projection (whose keys put the video first: the pages' order within one millisecond is not the answer's).
 */
const eventsSince = async (views: Views, sinceMs: number) => {
  const events: VideoEventView[] = [];
  let after: { value: number; id: string } | undefined;
  const oldestFirst = () =>
    events.sort((a, b) => a.occurredAtMs - b.occurredAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (;;) {
    const batch = await views.videoEvents.find({
      orderBy: { field: "occurredAtMs", direction: "desc" },
      limit: page,
      ...(after ? { after } : {}),
    });
    for (const row of batch) {
      if (row.occurredAtMs < sinceMs) return oldestFirst();
      events.push(fromVideoEventRow(row));
    }
    const last = batch.at(-1);
    if (!last || batch.length < page) return oldestFirst();
    after = { value: last.occurredAtMs, id: last.id };
  }
};

/** Admin lists: every account ingress has heard of, and each channel's health. */
export const adminListRoutes = (app: FastifyInstance, deps: AdminListDeps) => {
  app.register(async (scope) => {
    scope.addHook("onRequest", deps.guard);
    const admin = scope.withTypeProvider<ZodTypeProvider>();
    const adminDoc = <const E extends Pick<RouteDoc, "querystring" | "response">>(summary: string, extra: E) =>
      routeSchema({ summary, tags: ["Admin"], security: "admin" as const, ...extra });

    admin.get(
      "/admin/v1/accounts",
      {
        schema: adminDoc("Every account, by id, paged (balances as ingress's projection last heard them)", {
          querystring: accountsQuerySchema,
          response: { 200: accountListSchema },
        }),
      },
      async (request) => {
        const { query } = request;
        const found = await deps.views.balances.find({
          orderBy: { field: "id", direction: "asc" },
          limit: query.limit + 1,
          ...(query.after ? { after: { value: query.after, id: query.after } } : {}),
        });
        return {
          object: "list" as const,
          data: found.slice(0, query.limit).map((account) => ({
            id: account.id,
            name: account.name,
            balance_usd: formatUsd(account.balanceMicros),
            reserved_usd: formatUsd(account.reservedMicros),
          })),
          has_more: found.length > query.limit,
        };
      },
    );

    admin.get(
      "/admin/v1/channels",
      {
        schema: adminDoc("Each channel: jobs in flight, errors in the last hour, the last error, disabled or not", {
          response: { 200: channelListSchema },
        }),
      },
      async () => {
        const nowMs = deps.now().getTime();
        const events = await eventsSince(deps.views, nowMs - Math.max(3_600_000, deps.jobDeadlineMs));
        return { object: "list" as const, data: channelStatuses(deps.channels(), events, nowMs) };
      },
    );
  });
};
