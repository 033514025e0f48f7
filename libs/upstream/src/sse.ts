/** The largest server-sent event accepted; a longer one breaks the stream (no upstream sends such a thing). */
export const maxEventBytes = 1024 * 1024;

/**
 * The `data` of each server-sent event in a body, in order (multi-line data joined with "\n"). Reads in linear
 * time: every character is looked at once, and a line or event over `maxEventBytes` ends the stream with an error.
 */
export async function* sseData(body: ReadableStream<Uint8Array>, maxBytes = maxEventBytes): AsyncGenerator<string> {
  let partial = "";
  let data: string[] = [];
  let eventChars = 0;
  const tooLarge = () => new Error(`the upstream sent a server-sent event over ${maxBytes} bytes`);
  const takeLine = (line: string): string | undefined => {
    if (line === "") {
      const event = data.length > 0 ? data.join("\n") : undefined;
      data = [];
      eventChars = 0;
      return event;
    }
    if (line.startsWith("data:")) {
      const value = line.slice(5).replace(/^ /, "");
      eventChars += value.length;
      if (eventChars > maxBytes) throw tooLarge();
      data.push(value);
    }
    return undefined;
  };
  for await (const text of body.pipeThrough(new TextDecoderStream())) {
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      const piece = text.slice(start, newline);
      const line = partial.length > 0 ? partial + piece : piece;
      partial = "";
      start = newline + 1;
      const event = takeLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      if (event !== undefined) yield event;
    }
    partial += text.slice(start);
    if (partial.length > maxBytes) throw tooLarge();
  }
  if (partial !== "") takeLine(partial.endsWith("\r") ? partial.slice(0, -1) : partial);
  if (data.length > 0) yield data.join("\n");
}
