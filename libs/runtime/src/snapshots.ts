import type { DocumentStore } from "@reelgate/documents";
import type { SnapshotStore } from "./aggregate.ts";

interface SnapshotDocument<Json> {
  id: string;
  version: number;
  state: Json;
}

/**
 * Snapshots kept as documents in the service's own document store, one per stream. A snapshot only
 * moves forward: two replicas saving out of order keep the newer one. It is a cache of the events,
 * so dropping the collection loses nothing.
 */
export const documentSnapshots = async <State, Json>(
  documents: DocumentStore,
  name: string,
  codec: { serialize: (state: State) => Json; deserialize: (json: Json) => State },
): Promise<SnapshotStore<State>> => {
  const collection = await documents.collection<SnapshotDocument<Json>>(name, { indexes: [] });
  return {
    async load(stream) {
      const found = await collection.get(stream);
      return found && { state: codec.deserialize(found.doc.state), version: found.doc.version };
    },
    async save(stream, { state, version }) {
      const doc = { id: stream, version, state: codec.serialize(state) };
      await collection.update(stream, (current) => (current && current.version >= version ? undefined : doc));
    },
  };
};
