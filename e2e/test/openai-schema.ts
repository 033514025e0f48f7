import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import document from "../fixtures/openai/videos.schema.json" with { type: "json" };

/**
 * OpenAI's own schemas for `/v1/videos*` (the vendored copy of `../shared/openai/videos.schema.json`, see
 * e2e/fixtures/openai/README.md), compiled with ajv, to check the answers Reelgate gives as OpenAI's API
 * would give them. One entry per operation of the document's `x-operations`: adding a route OpenAI has is
 * adding nothing here, only its test cases.
 */
export type Operation = keyof (typeof document)["x-operations"];
export const operations = Object.keys(document["x-operations"]) as Operation[];

/**
 * Where Reelgate answers differently from OpenAI's schema on purpose, as a gateway: each entry replaces
 * one sub-schema (a JSON pointer into the document) and says why. Nothing else is loosened.
 * docs/api.md § Conformance is the decision.
 */
export const deviations = [
  {
    pointer: "/$defs/VideoResource/properties/size",
    schema: { type: "string", pattern: "^[1-9][0-9]*x[1-9][0-9]*$" },
    why:
      "OpenAI's VideoSize lists only the Sora sizes it sells; the catalog (SPEC §3) also has 1080x1920 and " +
      "1920x1080 for sora-2-pro, 704x1280 and 1280x704 for sora_video2, and other providers' WxH: any WxH.",
  },
] as const;

type Json = Record<string, unknown>;

/** The document with the deviations applied (the vendored file itself is left as OpenAI wrote it). */
const patched = (): Json => {
  const copy = structuredClone(document) as unknown as Json;
  for (const { pointer, schema } of deviations) {
    const keys = pointer.split("/").slice(1);
    const last = keys.pop()!;
    const parent = keys.reduce<Json>((node, key) => node[key] as Json, copy);
    if (!(last in parent)) throw new Error(`deviation ${pointer}: nothing there to replace (did the schema change?)`);
    parent[last] = schema;
  }
  return copy;
};

/** Every `x-…` key the document uses (its own metadata, and Stainless's hints to its SDK generator). */
const extensionKeywords = (node: unknown, found = new Set<string>()): Set<string> => {
  if (Array.isArray(node)) for (const item of node) extensionKeywords(item, found);
  else if (node && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-")) found.add(key);
      extensionKeywords(value, found);
    }
  return found;
};

/**
 * Strict ajv, so a keyword it does not know fails loudly instead of being skipped, except the ones OpenAPI
 * 3.1 itself adds (`example`) and the `x-` extensions, which are annotations and constrain nothing.
 * Formats: `uri` comes from ajv-formats. `unixtime` and `binary` are OpenAI's (OpenAPI) formats, unknown to
 * JSON Schema: `binary` marks a file part of a multipart request body and never occurs in a JSON answer, so
 * it is a no-op; `unixtime` is checked — a whole number of seconds (a millisecond timestamp is refused, the
 * mistake it would catch).
 */
const compile = (schema: Json) => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  formats.default(ajv, ["uri"]);
  ajv.addFormat("binary", true);
  ajv.addFormat("unixtime", {
    type: "number",
    validate: (value: number) => Number.isInteger(value) && value >= 0 && value < 10_000_000_000,
  });
  ajv.addVocabulary(["example", ...extensionKeywords(schema)]);
  ajv.addSchema(schema);
  const id = schema.$id as string;
  const cache = new Map<string, ValidateFunction>();
  return (ref: string) => {
    let validate = cache.get(ref);
    if (!validate) {
      const found = ajv.getSchema(`${id}${ref}`);
      if (!found) throw new Error(`no schema at ${ref}`);
      validate = found;
      cache.set(ref, validate);
    }
    return validate;
  };
};

const asOpenAi = compile(patched());
/** OpenAI's document exactly as vendored, without the deviations (to show each one is needed). */
export const asOpenAiVerbatim = compile(structuredClone(document) as unknown as Json);

export interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

const isJson = (contentType: string | null) => /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? "");
const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message} (${error.schemaPath})`);

/** The `$ref` OpenAI declares for a JSON answer of `status` to `operation`, or why there is none. */
export const schemaRefFor = (operation: Operation, status: number): string => {
  if (status < 200 || status >= 300) return "#/$defs/ErrorResponse";
  const responses = document["x-operations"][operation].responses as Record<
    string,
    { content?: Record<string, { schema?: { $ref?: string } }> }
  >;
  const ref = responses[String(status)]?.content?.["application/json"]?.schema?.$ref;
  if (!ref) throw new Error(`${operation} declares no JSON answer with status ${status}`);
  return ref;
};

/** The media types OpenAI declares for a `status` answer to `operation` (the content route: its bytes' types). */
export const declaredMediaTypes = (operation: Operation, status: number): string[] => {
  const responses = document["x-operations"][operation].responses as Record<string, { content?: object }>;
  return Object.keys(responses[String(status)]?.content ?? {});
};

/**
 * What is wrong with an answer to `operation`, by OpenAI's schema (with the deviations): nothing → [].
 * A 2xx JSON answer validates against the operation's declared response; any other status against
 * `ErrorResponse` (`{error: {message, type, param, code}}`), and must be JSON. A 2xx that is not JSON (the
 * content route's bytes) is not a JSON answer: not checked here.
 */
export const problemsWith = (operation: Operation, answer: Answer, validator = asOpenAi): string[] => {
  const failed = answer.status < 200 || answer.status >= 300;
  if (!isJson(answer.contentType)) {
    return failed ? [`an error answer must be JSON, got Content-Type ${answer.contentType}`] : [];
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return [`not valid JSON: ${answer.body.slice(0, 200)}`];
  }
  let ref: string;
  try {
    ref = schemaRefFor(operation, answer.status);
  } catch (error) {
    return [(error as Error).message];
  }
  const validate = validator(ref);
  return validate(body) ? [] : describe(validate.errors).map((problem) => `${ref}: ${problem}`);
};

/** Reads an answer (its body consumed) and throws with every problem, or returns its JSON (null if none). */
export const expectConforming = async <T = unknown>(operation: Operation, response: Response): Promise<T> => {
  const answer = { status: response.status, contentType: response.headers.get("content-type"), body: "" };
  answer.body = await response.text();
  const problems = problemsWith(operation, answer);
  if (problems.length > 0) {
    throw new Error(
      `${operation} → ${answer.status} does not match OpenAI's schema:\n  ${problems.join("\n  ")}\n${answer.body}`,
    );
  }
  return (isJson(answer.contentType) ? JSON.parse(answer.body) : null) as T;
};

/** The templates of the operations as path patterns, the ones with more literal segments first. */
const patterns = operations
  .map((operation) => {
    const [method, template] = operation.split(" ") as [string, string];
    const segments = template.split("/").slice(1);
    const regex = new RegExp(
      `^/v1/${segments.map((segment) => (segment.startsWith("{") ? "[^/]+" : segment)).join("/")}/?$`,
    );
    return { operation, method, regex, literals: segments.filter((segment) => !segment.startsWith("{")).length };
  })
  .sort((a, b) => b.literals - a.literals);

/** The OpenAI operation a request to Reelgate is (`/v1` prefix), or undefined for any other route. */
export const operationOf = (method: string, pathname: string): Operation | undefined =>
  patterns.find((pattern) => pattern.method === method.toUpperCase() && pattern.regex.test(pathname))?.operation;

/**
 * A `fetch` for an SDK client (`client.withOptions({ fetch })`) that checks every JSON answer to an
 * OpenAI videos operation on its way to the SDK; `problems` lists what did not conform, `checked` counts.
 */
export const conformanceRecorder = () => {
  const problems: string[] = [];
  let checked = 0;
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await globalThis.fetch(input, init);
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const { pathname } = new URL(request?.url ?? String(input));
    const operation = operationOf(method, pathname);
    const contentType = response.headers.get("content-type");
    if (operation && isJson(contentType)) {
      checked++;
      const body = await response.clone().text();
      for (const problem of problemsWith(operation, { status: response.status, contentType, body })) {
        problems.push(`${method} ${pathname} → ${response.status}: ${problem}`);
      }
    }
    return response;
  };
  return {
    fetch,
    problems,
    get checked() {
      return checked;
    },
  };
};

/**
 * Answers recorded elsewhere (the Python SDK's scripts write one JSON line per answer: method, path, status,
 * content_type, body; see record_answers.py): every problem, and how many answers were OpenAI operations.
 */
export const problemsInRecorded = (lines: string) => {
  const problems: string[] = [];
  let checked = 0;
  for (const line of lines.split("\n").filter((text) => text.trim() !== "")) {
    const { method, path, status, content_type, body } = JSON.parse(line) as {
      method: string;
      path: string;
      status: number;
      content_type: string | null;
      body: string;
    };
    const operation = operationOf(method, path);
    if (!operation || !isJson(content_type)) continue;
    checked++;
    for (const problem of problemsWith(operation, { status, contentType: content_type, body })) {
      problems.push(`${method} ${path} → ${status}: ${problem}`);
    }
  }
  return { problems, checked };
};
