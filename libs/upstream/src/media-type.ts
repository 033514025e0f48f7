import { UpstreamError } from "./provider.ts";

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  signature.every((byte, index) => bytes[at + index] === byte);
const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/** The media type the bytes say they are (video or image), or undefined; the upstream's header is never asked. */
export const sniffMediaType = (head: Uint8Array): string | undefined => {
  if (startsWith(head, ascii("ftyp"), 4)) return "video/mp4"; // ISO BMFF: MP4, and QuickTime alike
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return "video/webm";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return "image/webp";
  return undefined;
};

const sniffBytes = 16;

/**
 * The media with its type read from its first bytes. A body that is neither a video nor an image we know (an HTML
 * page, say) is refused: it must neither be stored nor served under our name.
 */
export const sniffedMedia = async <M extends { body: ReadableStream<Uint8Array>; contentType: string }>(
  media: M,
  what = "media",
): Promise<M> => {
  const reader = media.body.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < sniffBytes && !done) {
    const next = await reader.read();
    done = next.done;
    if (next.value) {
      head.push(next.value);
      length += next.value.byteLength;
    }
  }
  const first = Buffer.concat(head);
  const contentType = sniffMediaType(first);
  if (!contentType) {
    await reader.cancel().catch(() => {});
    throw new UpstreamError(`${what}: the upstream's bytes are not a video or an image Reelgate knows`, {
      retryable: false,
    });
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length > 0) controller.enqueue(first);
      if (done) controller.close();
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { ...media, body, contentType };
};
