import type { FastifyInstance } from "fastify";

export const AUTH = { authorization: "Bearer sk-test" };

/** Polls until `probe` returns a value, or fails after the deadline: no fixed sleeps. */
export const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A multipart/form-data body and its content type, as fetch would send it. */
export const multipartOf = async (form: FormData) => {
  const response = new Response(form);
  return { payload: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get("content-type")! };
};

export const createVideo = async (
  app: FastifyInstance,
  fields: Record<string, string>,
  headers: Record<string, string> = AUTH,
) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const { payload, contentType } = await multipartOf(form);
  return app.inject({
    method: "POST",
    url: "/v1/videos",
    headers: { ...headers, "content-type": contentType },
    payload,
  });
};

/** A fake clock the test moves by hand. */
export const fakeClock = (start = 1_700_000_000_000) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};
