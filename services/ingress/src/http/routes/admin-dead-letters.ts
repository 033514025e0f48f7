import {
  deadLetterPageSchema,
  deadLettersQuerySchema,
  replayDeadLettersRequestSchema,
  replayDeadLettersResultSchema,
} from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { DeadLetterSummary, DeadLetters } from "../../adapters/dead-letters.ts";
import type { AdminGuard } from "../auth.ts";
import { optionalBody, type RouteDoc, routeSchema } from "../route-spec.ts";

const adminDoc = <const D extends Omit<RouteDoc, "tags" | "security">>(doc: D) => ({
  schema: routeSchema({ ...doc, tags: ["Admin"], security: "admin" as const }),
});

const letterJson = (letter: DeadLetterSummary) => ({
  object: "dead_letter" as const,
  sequence: letter.seq,
  service: letter.service,
  consumer: letter.consumer,
  subject: letter.subject,
  event_type: letter.eventType,
  event_id: letter.eventId,
  video_id: letter.videoId,
  deliveries: letter.deliveryCount,
  reason: letter.reason,
  dead_at: letter.deadAt,
  replayable: letter.replayable,
});

/** The operator's command for what ingress may not republish itself. */
const cliCommand = (sequences: number[]) =>
  sequences.length === 0 ? null : `reelgate dead-letters replay ${sequences.map((seq) => `--seq ${seq}`).join(" ")}`;

/** Every service's dead letters: a page of them, and replay (republish on the original subject, then remove). */
export const adminDeadLetterRoutes = (
  app: FastifyInstance,
  { deadLetters, guard }: { deadLetters: DeadLetters; guard: AdminGuard },
) => {
  app.register(async (scope) => {
    scope.addHook("onRequest", guard);
    const admin = scope.withTypeProvider<ZodTypeProvider>();

    admin.get(
      "/admin/v1/dead_letters",
      adminDoc({
        summary: "Dead letters of every service (or one), oldest first, paged by sequence",
        querystring: deadLettersQuerySchema,
        response: { 200: deadLetterPageSchema },
      }),
      async (request) => {
        const { query } = request;
        const { letters, hasMore } = await deadLetters.page(query);
        return { object: "list" as const, data: letters.map(letterJson), has_more: hasMore };
      },
    );

    admin.post(
      "/admin/v1/dead_letters/replay",
      adminDoc({
        summary:
          "Replay dead letters (the given sequences, a service's, or all): republished on their original subject and removed",
        body: optionalBody(replayDeadLettersRequestSchema),
        response: { 200: replayDeadLettersResultSchema },
      }),
      async (request) => {
        const { body } = request;
        const { replayed, notReplayed } = await deadLetters.replay(body);
        return {
          object: "dead_letters.replay" as const,
          replayed,
          not_replayed: notReplayed,
          command: cliCommand(notReplayed),
        };
      },
    );
  });
};
