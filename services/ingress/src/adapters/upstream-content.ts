import { Readable } from "node:stream";
import type { Variant } from "@reelgate/contracts";
import { type Channel, type Provider, providerFor, sniffedMedia } from "@reelgate/upstream";
import type { UpstreamFallback } from "../views/video-view.ts";

/** The media of a variant storage could not copy, fetched through the channel that made it (its link needs the channel's key). */
export type UpstreamContent = (
  fallback: UpstreamFallback,
  variant: Variant,
) => Promise<{ body: Readable; contentType: string; bytes: number | undefined } | undefined>;

/**
 * `channels` is the channels in force, asked on every request (the file is followed live, so a
 * rotated `api_key` or `base_url` is used as soon as it is read); a fixed list is accepted too.
 */
export const upstreamContent =
  (
    channels: (() => readonly Channel[]) | readonly Channel[],
    provider: (channel: Channel) => Provider = providerFor,
  ): UpstreamContent =>
  async (fallback, variant) => {
    const current = typeof channels === "function" ? channels() : channels;
    const channel = current.find((candidate) => candidate.id === fallback.channelId);
    if (!channel) return undefined;
    // Served under our name: the type is what the bytes are, and what is neither video nor image is not served.
    const media = await sniffedMedia(await provider(channel).content(fallback.upstreamId, variant), variant);
    // Readable.from, not Readable.fromWeb: with fromWeb, a connection the upstream cuts throws an uncaught error in undici.
    return { ...media, body: Readable.from(media.body) };
  };
