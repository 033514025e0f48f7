import type { Collection, DocumentStore } from "@reelgate/documents";
import type { BalanceView } from "../domain/balance-view.ts";
import type { VideoView } from "../domain/video-view.ts";

export interface KeyView {
  id: string;
  accountId: string;
  name: string;
  sha256: string;
  revoked: boolean;
}

export interface Views {
  videos: Collection<VideoView>;
  balances: Collection<BalanceView>;
  keys: Collection<KeyView>;
}

/** Ingress's read models, with the fields its queries filter and sort on indexed. */
export const openViews = async (documents: DocumentStore): Promise<Views> => ({
  videos: await documents.collection<VideoView>("videos", {
    indexes: ["accountId", "createdAt", "pendingQuoteMicros"],
  }),
  balances: await documents.collection<BalanceView>("balances", { indexes: [] }),
  keys: await documents.collection<KeyView>("keys", { indexes: ["sha256", "accountId", "revoked"] }),
});
