import type { Variant } from "@reelgate/contracts";
import { bodyChunks } from "@reelgate/outbound";
import { sniffMediaType, UpstreamError } from "@reelgate/upstream";

/** Enough for every signature sniffMediaType knows. */
const SNIFF_BYTES = 16;
const ended = { done: true, value: undefined } as const;

/**
 * The media's type read from its first bytes, and all of its bytes as chunks for the object store: the chunks read
 * for the sniff come first, then the rest straight from the answer (`bodyChunks`: no web-stream read per chunk, no
 * second stream wrapped round the first as `sniffedMedia` makes). A body that is neither a video nor an image we
 * know (an HTML page, say) is refused: it must neither be stored nor served under our name.
 */
export const sniffedBody = async (
  body: ReadableStream<Uint8Array>,
  variant: Variant,
): Promise<{ contentType: string; chunks: AsyncIterable<Uint8Array> }> => {
  const source = bodyChunks(body)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    length += next.value.byteLength;
  }
  const contentType = sniffMediaType(head.length === 1 ? head[0]! : Buffer.concat(head, length));
  if (!contentType) {
    await source.return?.();
    throw new UpstreamError(`${variant}: the upstream's bytes are not a video or an image Reelgate knows`, {
      retryable: false,
    });
  }
  let held = 0;
  const chunks: AsyncIterator<Uint8Array> = {
    next: async () => {
      if (held < head.length) return { done: false, value: head[held++]! };
      return done ? ended : source.next();
    },
    return: async () => {
      held = head.length;
      done = true;
      await source.return?.();
      return ended;
    },
  };
  return { contentType, chunks: { [Symbol.asyncIterator]: () => chunks } };
};
