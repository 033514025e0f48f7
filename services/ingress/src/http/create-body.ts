import { createVideoRequestSchema, legacyRemixRequestSchema } from "@reelgate/contracts";
import { z } from "zod";
import { IMAGE_FIELD, imageUrlOf } from "./form.ts";

/** The legacy relay's remix form comes to the create path: a `-remix` model naming the source video. */
const isLegacyRemix = (body: unknown) => {
  const model = (body as { model?: unknown } | null | undefined)?.model;
  return typeof model === "string" && model.endsWith("-remix");
};

/** A nested parse's problems become the outer schema's, paths and words kept. */
const forward = <T>(result: z.ZodSafeParseResult<T>, ctx: z.RefinementCtx): T => {
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
};

const documented = z.toJSONSchema(z.union([createVideoRequestSchema, legacyRemixRequestSchema]), {
  io: "input",
  unrepresentable: "any",
});

/**
 * The body of `POST /v1/videos`, JSON or multipart: OpenAI's create, or the legacy remix form, told apart by
 * the model (a union would take a `-remix` create for a create). A JSON `input_reference` is checked first
 * and comes out as its URL (a multipart image is not a field: form.ts). Documented as either body.
 */
export const createBodySchema = z
  .unknown()
  .transform((body, ctx) => {
    const { [IMAGE_FIELD]: reference, ...fields } =
      body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const imageUrl = reference === undefined ? undefined : imageUrlOf(reference);
    if (reference !== undefined && imageUrl === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [IMAGE_FIELD],
        message: 'give a URL, a data URL, base64, or {"image_url": "..."}',
      });
      return z.NEVER;
    }
    const input = body && typeof body === "object" && !Array.isArray(body) ? fields : body;
    if (isLegacyRemix(input))
      return { kind: "remix" as const, remix: forward(legacyRemixRequestSchema.safeParse(input), ctx) };
    return { kind: "create" as const, create: forward(createVideoRequestSchema.safeParse(input), ctx), imageUrl };
  })
  .meta({ anyOf: documented.anyOf });
