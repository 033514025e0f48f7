import { openAiErrorSchema } from "@reelgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, type Ingress, ingress, KEY } from "./harness.ts";

const auth = { authorization: `Bearer ${KEY}` };

/** An answer in OpenAI's error shape, with the status and code expected. */
const expectError = (
  response: { statusCode: number; json: () => unknown },
  status: number,
  code: string,
  param: string | null = null,
) => {
  expect(response.statusCode).toBe(status);
  const body = openAiErrorSchema.parse(response.json());
  expect(body.error.code).toBe(code);
  expect(body.error.param).toBe(param);
  return body.error;
};

describe("requests at the edges of the router and the parsers", () => {
  let api: Ingress;
  beforeAll(async () => {
    api = await ingress();
  });
  afterAll(async () => api.close());

  describe("router errors answer in OpenAI's error shape (issue 9.12)", () => {
    it("an id longer than any id is a 404 unknown_url, not fastify's 414", async () => {
      const response = await api.app.inject({
        method: "GET",
        url: `/v1/videos/video_${"a".repeat(120)}`,
        headers: auth,
      });
      expectError(response, 404, "unknown_url");
      expect(response.headers["x-request-id"]).toMatch(/^req_/);
    });

    it("a malformed percent-encoding is a 400 invalid_url", async () => {
      for (const url of ["/v1/videos/%zz", "/v1/videos/video_%E0%A4%A"]) {
        const response = await api.app.inject({ method: "GET", url, headers: auth });
        expectError(response, 400, "invalid_url");
      }
    });
  });

  describe("x-request-id (issue 9.14)", () => {
    it("adopts a short, plain id", async () => {
      const response = await api.app.inject({
        method: "GET",
        url: "/v1/videos",
        headers: { ...auth, "x-request-id": "trace-1.A_b" },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers["x-request-id"]).toBe("trace-1.A_b");
    });

    it("mints its own for an id that is long or carries anything else", async () => {
      for (const given of ["a".repeat(129), "id with spaces", "x\u00e9", "<script>", "a,b"]) {
        const response = await api.app.inject({
          method: "GET",
          url: "/v1/videos",
          headers: { ...auth, "x-request-id": given },
        });
        expect(response.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
      }
      const longest = "b".repeat(128);
      const response = await api.app.inject({
        method: "GET",
        url: "/v1/videos",
        headers: { ...auth, "x-request-id": longest },
      });
      expect(response.headers["x-request-id"]).toBe(longest);
    });
  });

  describe("values of the wrong type say what is wrong (issue 9.15)", () => {
    it("prompt 42 is an invalid type, not a missing parameter; nothing is recorded", async () => {
      const response = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { prompt: 42 },
      });
      const error = expectError(response, 400, "invalid_type", "prompt");
      expect(error.message).toBe("Invalid type for 'prompt': expected string, but got a number (42).");
      expect(await api.recorded()).toBe(0);
    });

    it("limit=abc is an invalid type naming what was sent", async () => {
      const response = await api.app.inject({ method: "GET", url: "/v1/videos?limit=abc", headers: auth });
      const error = expectError(response, 400, "invalid_type", "limit");
      expect(error.message).toContain('"abc"');
    });

    it("seconds true and a prompt of an object are invalid types; a missing prompt is still missing", async () => {
      const seconds = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { prompt: "p", seconds: true },
      });
      expectError(seconds, 400, "invalid_type", "seconds");
      const object = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { prompt: { a: 1 } },
      });
      expect(expectError(object, 400, "invalid_type", "prompt").message).toContain("got an object");
      const missing = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { model: "sora-2" },
      });
      expectError(missing, 400, "missing_required_parameter", "prompt");
      expect(await api.recorded()).toBe(0);
    });
  });

  describe("GET and DELETE with Content-Type: application/json and an empty body (issue 13.3)", () => {
    const json = { ...auth, "content-type": "application/json" };

    it("DELETE of an unknown id is a 404, not a 400 invalid_json", async () => {
      const response = await api.app.inject({
        method: "DELETE",
        url: "/v1/videos/video_unknown",
        headers: json,
        payload: "",
      });
      expectError(response, 404, "not_found");
    });

    it("GET of an unknown id is a 404 and a list is a list", async () => {
      const one = await api.app.inject({ method: "GET", url: "/v1/videos/video_unknown", headers: json, payload: "" });
      expectError(one, 404, "not_found");
      const list = await api.app.inject({ method: "GET", url: "/v1/videos", headers: json, payload: "" });
      expect(list.statusCode).toBe(200);
      expect(list.json().object).toBe("list");
    });

    it("DELETE of a real video with an empty JSON body deletes it", async () => {
      const created = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { prompt: "to delete" },
      });
      const id = created.json().id as string;
      const response = await api.app.inject({ method: "DELETE", url: `/v1/videos/${id}`, headers: json, payload: "" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ id, object: "video.deleted", deleted: true });
    });

    it("a POST with an empty JSON body is still a 400 invalid_json", async () => {
      const response = await api.app.inject({ method: "POST", url: "/v1/videos", headers: json, payload: "" });
      expectError(response, 400, "invalid_json");
    });
  });
  describe("a multipart body on a route that takes JSON only", () => {
    const form = (fields: Record<string, string>) => {
      const boundary = "edge-boundary";
      const body = Object.entries(fields)
        .map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
        .join("");
      return {
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        payload: `${body}--${boundary}--\r\n`,
      };
    };

    // Pinned before multipart was scoped to the routes that take it: the answer stayed what it was.
    it("is refused as a body that is not there (400 invalid_request), public and admin alike", async () => {
      const legacy = form({ video_id: "video_unknown" });
      const publicRoute = await api.app.inject({
        method: "POST",
        url: "/v1/videos/query",
        headers: { ...auth, ...legacy.headers },
        payload: legacy.payload,
      });
      const publicError = expectError(publicRoute, 400, "invalid_request");
      const account = form({ name: "by form" });
      const adminRoute = await api.app.inject({
        method: "POST",
        url: "/admin/v1/accounts",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...account.headers },
        payload: account.payload,
      });
      const adminError = expectError(adminRoute, 400, "invalid_request");
      const missingBody = {
        message: "The request body must be a JSON object.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      };
      expect(publicError).toEqual(missingBody);
      expect(adminError).toEqual(missingBody);
    });

    it("is ignored on a GET, as any body is", async () => {
      const created = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth,
        payload: { prompt: "p" },
      });
      const id = created.json().id as string;
      const { headers, payload } = form({ prompt: "ignored" });
      const response = await api.app.inject({
        method: "GET",
        url: `/v1/videos/${id}`,
        headers: { ...auth, ...headers },
        payload,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().id).toBe(id);
    });
  });
});
