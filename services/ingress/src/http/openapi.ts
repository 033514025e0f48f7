import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";

/**
 * `/openapi.json` and `/docs`, generated from the routes' zod schemas (the same that validate requests and
 * serialise answers) by fastify-type-provider-zod's transform. Register before the routes so it sees them all.
 */
export const registerOpenApi = async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Reelgate",
        version: "1.0.0",
        description:
          "A gateway for video-generation APIs: OpenAI's Videos API, the legacy task API, and the admin API.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "An API key (also accepted as the `api-key` header)" },
          adminToken: { type: "http", scheme: "bearer", description: "REELGATE_ADMIN_TOKEN" },
        },
      },
    },
    // Only routes that carry a schema are part of the API (operations endpoints stay out).
    transform: (route) => (route.schema ? jsonSchemaTransform(route) : { schema: { hide: true }, url: route.url }),
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
};
