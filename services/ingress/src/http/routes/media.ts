import { checkMediaSignature, type ObjectStorage, SIGNED_MEDIA_PATH } from "@reelgate/object-storage";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiError } from "../api-error.ts";
import { routeSchema } from "../route-spec.ts";
import { mediaResponses, sendStoredObject } from "../send-object.ts";
import type { Throttles } from "../throttle.ts";

const gone = () => new ApiError(404, "This media is no longer stored.", { code: "content_gone" });

const signedQuerySchema = z.object({
  expires: z.string().optional().describe("Unix seconds after which the URL answers 403"),
  signature: z.string().optional().describe("HMAC-SHA256 of the key and the expiry"),
});

/**
 * `GET /media/{key}?expires&signature`: an object of file storage by the signed URL storage handed
 * out (SPEC.md §5), with `Range`, and no API key: the signature is the credential.
 */
export const mediaRoute = (
  app: FastifyInstance,
  {
    objects,
    secret,
    now,
    throttles,
  }: { objects: ObjectStorage; secret: string; now: () => Date; throttles: Throttles },
) => {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get<{ Params: { "*": string }; Querystring: z.infer<typeof signedQuerySchema> }>(
      `${SIGNED_MEDIA_PATH}*`,
      {
        schema: routeSchema({
          summary: "Stored media by signed URL (file storage); supports Range, no API key",
          tags: ["Media"],
          querystring: signedQuerySchema,
          response: mediaResponses,
          security: "none",
        }),
        // Counted before anything is read or checked, a malformed query included.
        onRequest: (request) => throttles.media(request),
      },
      async (request, reply) => {
        const key = request.params["*"];
        const check = checkMediaSignature({ secret, now }, key, request.query);
        if (check === "expired") throw new ApiError(403, "This media URL has expired.", { code: "url_expired" });
        if (check === "invalid")
          throw new ApiError(403, "This media URL's signature is not valid.", { code: "invalid_signature" });
        const found = await objects.head(key);
        if (!found) throw gone();
        reply.header("cache-control", "private, no-transform");
        return sendStoredObject(reply, objects, { key, ...found }, request.headers.range, gone);
      },
    );
};
