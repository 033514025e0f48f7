/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export const openAiError = (
  message: string,
  {
    type = "invalid_request_error",
    param = null,
    code = null,
  }: { type?: string; param?: string | null; code?: string | null } = {},
): OpenAiErrorBody => ({ error: { message, type, param, code } });

/** What a real upstream says for a status, for an injected fault given without a body. */
export const errorBodyForStatus = (status: number): OpenAiErrorBody => {
  if (status === 401) return openAiError("Incorrect API key provided.", { code: "invalid_api_key" });
  if (status === 429)
    return openAiError("Rate limit reached for requests.", { type: "requests", code: "rate_limit_exceeded" });
  if (status === 503)
    return openAiError("The engine is currently overloaded, please try again later.", { type: "server_error" });
  if (status >= 500)
    return openAiError("The server had an error while processing your request.", { type: "server_error" });
  return openAiError(`The request was rejected with status ${status}.`);
};
