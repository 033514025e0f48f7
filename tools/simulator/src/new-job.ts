import type { SimulatorContext } from "./context.ts";
import { type OpenAiErrorBody, openAiError } from "./errors.ts";
import { failsByPrompt, filteredByPrompt, type Job, madeSecondsByPrompt } from "./jobs.ts";
import { minimumMp4Size } from "./media/mp4.ts";

export interface JobRequest {
  model?: unknown;
  prompt?: unknown;
  seconds?: unknown;
  size?: unknown;
}

const DEFAULTS = { model: "sora-2", seconds: "4", size: "720x1280" };

const invalid = (param: string, message: string): OpenAiErrorBody =>
  openAiError(message, { param, code: "invalid_value" });

/** Loose checks, as a relay would make: the prompt is required, the rest must merely look right. */
export const validationErrorOf = (request: JobRequest): OpenAiErrorBody | undefined => {
  const { model, prompt, seconds, size } = request;
  if (typeof prompt !== "string" || prompt.trim() === "") {
    return openAiError("Missing required parameter: 'prompt'.", {
      param: "prompt",
      code: "missing_required_parameter",
    });
  }
  if (model !== undefined && (typeof model !== "string" || !/^[\w.:-]{1,100}$/.test(model))) {
    return invalid("model", `Invalid model: ${JSON.stringify(model)}.`);
  }
  if (seconds !== undefined && !/^\d{1,3}$/.test(String(seconds))) {
    return invalid("seconds", `Invalid seconds: ${JSON.stringify(seconds)}. Expected a whole number of seconds.`);
  }
  if (size !== undefined && (typeof size !== "string" || !/^\d{2,5}x\d{2,5}$/.test(size))) {
    return invalid("size", `Invalid size: ${JSON.stringify(size)}. Expected WIDTHxHEIGHT.`);
  }
  return undefined;
};

/** A job for a validated request, taking the duration and video size the faults set now. */
export const newJob = (
  context: SimulatorContext,
  request: JobRequest,
  remixedFromVideoId: string | null = null,
): Job => {
  const id = context.newJobId();
  const prompt = String(request.prompt);
  const seconds =
    madeSecondsByPrompt(prompt) ?? (request.seconds === undefined ? DEFAULTS.seconds : String(request.seconds));
  const videoBytes = context.faults.videoBytes();
  const errorMessage = context.faults.takeOversizedError();
  return {
    ...(errorMessage === undefined ? {} : { errorMessage }),
    id,
    model: typeof request.model === "string" ? request.model : DEFAULTS.model,
    prompt,
    seconds,
    size: typeof request.size === "string" ? request.size : DEFAULTS.size,
    createdAtMs: context.now(),
    durationMs: context.faults.jobDurationMs(),
    fails: errorMessage !== undefined || failsByPrompt(prompt),
    filtered: filteredByPrompt(prompt),
    remixedFromVideoId,
    videoBytes:
      videoBytes === undefined
        ? undefined
        : Math.max(videoBytes, minimumMp4Size(id, { seconds: Number(seconds) || 1 })),
  };
};
