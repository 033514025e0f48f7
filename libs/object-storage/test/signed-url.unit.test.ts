import { describe, expect, it } from "vitest";
import { checkMediaSignature, signMediaUrl } from "../src/index.ts";

const at = (iso: string) => () => new Date(iso);
const signing = { publicUrl: "https://media.example.com/", secret: "s3cret", now: at("2026-01-01T00:00:00Z") };
const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe("HMAC-signed media URLs", () => {
  const url = signMediaUrl(signing, "videos/acct_1/2026/01/video_1/video.mp4", 600);

  it("points at ingress's /media/ route with an expiry and a signature", () => {
    expect(url).toMatch(
      /^https:\/\/media\.example\.com\/media\/videos\/acct_1\/2026\/01\/video_1\/video\.mp4\?expires=1767226200&signature=[\w-]{43}$/,
    );
  });

  it("is valid until it expires, then expired", () => {
    const key = "videos/acct_1/2026/01/video_1/video.mp4";
    expect(checkMediaSignature({ ...signing, now: at("2026-01-01T00:09:59Z") }, key, queryOf(url))).toBe("valid");
    expect(checkMediaSignature({ ...signing, now: at("2026-01-01T00:10:00Z") }, key, queryOf(url))).toBe("expired");
  });

  it("is invalid when the key, the expiry, the signature or the secret differ", () => {
    const key = "videos/acct_1/2026/01/video_1/video.mp4";
    const query = queryOf(url);
    expect(checkMediaSignature(signing, "videos/acct_2/2026/01/video_1/video.mp4", query)).toBe("invalid");
    expect(checkMediaSignature(signing, key, { ...query, expires: String(Number(query.expires) + 3600) })).toBe(
      "invalid",
    );
    const flipped = `${query.signature!.slice(0, -1)}${query.signature!.endsWith("A") ? "B" : "A"}`;
    expect(checkMediaSignature(signing, key, { ...query, signature: flipped })).toBe("invalid");
    expect(checkMediaSignature({ ...signing, secret: "other" }, key, query)).toBe("invalid");
    expect(checkMediaSignature(signing, key, { expires: query.expires })).toBe("invalid");
    expect(checkMediaSignature(signing, key, { ...query, expires: "soon" })).toBe("invalid");
  });
});
