import { randomBytes } from "node:crypto";
import type { Envelope } from "@reelgate/contracts";

/**
 * An event as the service that owns its stream would publish it (id, schema version, time and causation
 * filled in), for tests and benches that stand in for that service on the bus.
 */
export const testEnvelope = <T extends object>(
  type: string,
  data: T,
  {
    stream,
    version = 1,
    accountId,
    correlationId = (data as { videoId?: string }).videoId ?? stream,
    id = `evt_${randomBytes(12).toString("hex")}`,
  }: { stream: string; version?: number; accountId: string; correlationId?: string; id?: string },
): Envelope<T> => ({
  id,
  type,
  schemaVersion: 1,
  stream,
  version,
  occurredAt: new Date().toISOString(),
  correlationId,
  causationId: null,
  accountId,
  data,
});
