import type { Variant } from "@reelgate/contracts";

export type UpstreamStatus = "queued" | "in_progress" | "completed" | "failed";

/** What we send upstream: the public request with the model already mapped to the channel's name. */
export interface SubmitRequest {
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  /** Sent as an idempotency hint so a retried submit does not start a second job where the upstream honours it. */
  idempotencyKey: string;
  /** The image to animate, sent as the multipart file part `input_reference`. */
  inputReference?: { bytes: Buffer; contentType: string; filename: string };
}

export interface JobReport {
  status: UpstreamStatus;
  progress: number;
  model: string;
  seconds: string;
  size: string;
  error: { code: string; message: string } | null;
  expiresAt: number | null;
  variants: Variant[];
}

/** Upstream trouble, classified for failover: `retryable` ones go to another try; the rest fail the job. */
export class UpstreamError extends Error {
  override name = "UpstreamError";
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; retryable: boolean; retryAfterMs?: number }) {
    super(message);
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface Provider {
  submit(request: SubmitRequest): Promise<{ upstreamId: string }>;
  status(upstreamId: string): Promise<JobReport>;
  /** The media as a stream, with its type and length when the upstream says them. */
  content(
    upstreamId: string,
    variant: Variant,
  ): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; bytes: number | undefined }>;
}
