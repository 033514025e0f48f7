import type { OpenAiError } from "@reelgate/contracts";

const typeForStatus = (status: number) =>
  status === 401
    ? "authentication_error"
    : status === 402 || status === 429
      ? "insufficient_quota"
      : status === 404
        ? "not_found_error"
        : status >= 500
          ? "server_error"
          : "invalid_request_error";

/** An error the API answers with OpenAI's error shape. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly type: string;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    message: string,
    options: { param?: string | null; code?: string | null; type?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.type = options.type ?? typeForStatus(status);
    this.headers = options.headers ?? {};
  }

  toBody(): OpenAiError {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const notFound = (what: string) => new ApiError(404, `No ${what} found.`, { code: "not_found" });
