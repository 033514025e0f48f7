import { buildSimulator } from "./app.ts";

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? "127.0.0.1";
const jobDurationMs = Number(process.env.SIM_JOB_DURATION_MS ?? 3000);
const apiKeys = process.env.SIM_API_KEYS?.split(",").filter(Boolean);

const app = await buildSimulator({ jobDurationMs, ...(apiKeys?.length ? { apiKeys } : {}) });
await app.listen({ port, host });
console.log(
  `upstream simulator ready on http://${host}:${port}/v1 (jobs take ${jobDurationMs} ms; control API at /_control)`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    app.close().finally(() => process.exit(0));
  });
}
