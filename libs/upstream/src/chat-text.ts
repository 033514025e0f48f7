/**
 * What chat-sse video providers put in their streamed text: progress as percentages as it runs,
 * and at the end a markdown link (or image) to the video. Model names carry orientation and length.
 */

/** The last percentage the text mentions, as an integer below 100 (100 is reserved for the finished video). */
export const progressIn = (text: string): number | undefined => {
  const matches = [...text.matchAll(/(\d{1,3}(?:\.\d+)?)\s*%/g)];
  const last = matches.at(-1);
  if (!last) return undefined;
  return Math.max(0, Math.min(99, Math.floor(Number(last[1]))));
};

/** The video link: the last markdown link or image whose target is an http(s) URL. */
export const videoLinkIn = (text: string): string | undefined => {
  const links = [...text.matchAll(/!?\[[^\]]*\]\((https?:\/\/[^)\s]+)\)/g)].map((match) => match[1] as string);
  return links.findLast((link) => /\.(mp4|webm|mov)(\?|$)/i.test(link)) ?? links.at(-1);
};

/** `sora_video2`, `-landscape`, `-15s`, `-landscape-15s`: 704x1280 or 1280x704, 10 s or 15 s. */
export const chatModelSpec = (model: string): { size: string; seconds: string } => ({
  size: /landscape/i.test(model) ? "1280x704" : "704x1280",
  seconds: /(^|-)15s($|-)/i.test(model) ? "15" : "10",
});

const MODERATION = /moderat|content polic|policy|violat|safety|审核|违规|敏感/i;

/** Why a stream that ended without a link failed, in words a client can act on. */
export const brokenStreamError = (text: string, cause?: string): { code: string; message: string } => {
  const lastLine = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1);
  const said = lastLine ? ` Its last words: "${lastLine.slice(0, 300)}".` : "";
  const moderated = MODERATION.test(text);
  return {
    code: moderated ? "content_policy_violation" : "upstream_stream_broken",
    message: `The upstream's stream ended before it delivered a video${cause ? ` (${cause})` : ""}; this is how the provider reports content moderation.${said}`,
  };
};

const maxLinkTextChars = 1024;
const maxLinkChars = 8192;
const tailChars = 4096;

/**
 * Reads a chat-sse stream's text as it arrives, in linear time and bounded memory: markdown links are recognised by
 * a small state machine that sees each character once, percentages in the new text and a few characters before it,
 * and only the last `tailChars` of text are kept (for the stream's last words).
 */
export const chatStreamScanner = () => {
  let tail = "";
  let state: "out" | "text" | "close" | "url" = "out";
  let linkText = 0;
  let url = "";
  const links: string[] = [];
  let progress: number | undefined;

  const scanLinks = (text: string) => {
    for (const ch of text) {
      if (state === "url") {
        if (ch === ")") {
          if (/^https?:\/\//.test(url)) links.push(url);
          state = "out";
        } else if (/\s/.test(ch) || url.length >= maxLinkChars) state = ch === "[" ? "text" : "out";
        else url += ch;
      } else if (ch === "[") {
        state = "text";
        linkText = 0;
      } else if (state === "text") {
        if (ch === "]") state = "close";
        else if (++linkText > maxLinkTextChars) state = "out";
      } else if (state === "close") {
        state = ch === "(" ? "url" : "out";
        url = "";
      }
    }
  };

  return {
    /** Takes the next piece of text. */
    push(text: string) {
      scanLinks(text);
      const found = progressIn(tail.slice(-16) + text);
      if (found !== undefined && /%/.test(text)) progress = found;
      tail = (tail + text).slice(-tailChars);
    },
    /** The video link, once one has arrived: the last link to a video file, else the last link. */
    link: () => links.findLast((link) => /\.(mp4|webm|mov)(\?|$)/i.test(link)) ?? links.at(-1),
    progress: () => progress,
    /** The last characters of the text. */
    tail: () => tail,
  };
};
