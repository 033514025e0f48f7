import { newCharacterId, streamId } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { toNewEvents } from "@reelgate/runtime";
import { notFound, UnsupportedOperationError } from "../domain/errors.ts";

/** A video file to make a character from, as the client uploaded it. */
export interface CharacterVideo {
  body: Uint8Array;
  contentType: string;
  filename: string;
}

/**
 * Makes a character upstream, on a channel whose provider can (main.ts wires it to libs/upstream's
 * `Provider.createCharacter`); answers which channel holds it and the upstream's id for it.
 */
export interface CharacterMaker {
  create(input: { name: string; video: CharacterVideo }): Promise<{ channelId: string; upstreamId: string }>;
}

/** The public character object (OpenAI's VideoCharacterResource); upstream ids never leak. */
export interface CharacterObject {
  id: string;
  name: string;
  created_at: number;
}

/** Characters (SPEC §1.1), per account: made synchronously upstream, recorded as CharacterCreated on their own stream. */
export const characterService = ({
  store,
  maker,
  now,
  onAppended,
}: {
  store: EventStore;
  /** Undefined: no channel can make characters, and the route answers 400 `unsupported_operation`. */
  maker: CharacterMaker | undefined;
  now: () => Date;
  onAppended: () => void;
}) => ({
  async create(accountId: string, name: string, video: CharacterVideo): Promise<CharacterObject> {
    if (!maker)
      throw new UnsupportedOperationError("No configured channel can create characters.", {
        param: "video",
        code: "unsupported_operation",
      });
    const made = await maker.create({ name, video });
    const characterId = newCharacterId();
    const at = now();
    const data = { characterId, accountId, name, ...made, createdAt: Math.floor(at.getTime() / 1000) };
    const meta = {
      commitId: `create:${characterId}`,
      correlationId: characterId,
      causationId: null,
      accountId,
      now: at,
    };
    await store.append(streamId("character", characterId), toNewEvents([{ type: "CharacterCreated", data }], meta), {
      expectedVersion: 0,
    });
    onAppended();
    return { id: characterId, name, created_at: data.createdAt };
  },

  /** The caller's own character; anyone else's is answered as unknown. */
  async retrieve(accountId: string, characterId: string): Promise<CharacterObject> {
    const [created] = await store.readStream(streamId("character", characterId), 0, 1);
    const data =
      created?.type === "CharacterCreated"
        ? (created.data as { accountId: string; name: string; createdAt: number })
        : undefined;
    if (!data || data.accountId !== accountId) throw notFound(`character with id '${characterId}'`);
    return { id: characterId, name: data.name, created_at: data.createdAt };
  },
});

export type CharacterService = ReturnType<typeof characterService>;
