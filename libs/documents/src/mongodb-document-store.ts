import { type Db, type Filter, MongoClient, type Collection as MongoCollection, MongoServerError } from "mongodb";
import {
  checkedWhere,
  declaredCompounds,
  type IndexedFields,
  indexedFields,
  indexedValue,
  indexesKey,
  planFind,
} from "./fields.ts";
import {
  type Collection,
  type CollectionOptions,
  type DocumentStore,
  type FieldValue,
  RevisionConflict,
} from "./port.ts";
import { updateWithRetry } from "./update-with-retry.ts";

const batchSize = 500;
const duplicateKey = 11000;

/** A document as MongoDB holds it: the port's `id` as `_id`, and `_rev` as the compare-and-set key. */
interface Stored {
  _id: string;
  _rev: number;
  [field: string]: unknown;
}

export interface MongoDocumentStoreOptions {
  /** Defaults to the database named in the URL (or the driver's default). */
  database?: string;
  /** Prepended to every collection name, e.g. `ingress.views.`. */
  collectionPrefix: string;
}

/** The production adapter: one MongoDB collection per collection, no transactions or replica set needed. */
export const openMongoDocumentStore = async (
  url: string,
  options: MongoDocumentStoreOptions,
): Promise<DocumentStore> => {
  // ignoreUndefined: an undefined field is left out, as JSON.stringify does in the SQLite adapter.
  const client = new MongoClient(url, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(options.database);
  const opened = new Map<string, { indexes: string; collection: unknown }>();
  return {
    async collection<T extends { id: string }>(name: string, collectionOptions: CollectionOptions) {
      const indexes = indexesKey(collectionOptions);
      const cached = opened.get(name);
      if (cached && cached.indexes !== indexes) {
        throw new Error(`${name}: already opened with indexes [${cached.indexes}], not [${indexes}]`);
      }
      if (cached) return cached.collection as Collection<T>;
      const collection = await mongoCollection<T>(
        db,
        options.collectionPrefix,
        indexedFields(name, collectionOptions.indexes, collectionOptions.fields),
        collectionOptions,
      );
      opened.set(name, { indexes, collection });
      return collection;
    },
    async close() {
      await client.close();
    },
  };
};

const pathOf = (field: string) => (field === "id" ? "_id" : field);

/** The name this adapter gives the index of these paths, then `_id`: `a_id`, `a_b_id`. */
const ourIndexName = (paths: string[]) => `${paths.join("_")}_id`;

/**
 * Drops the indexes this adapter made for an earlier declaration (its own naming, over the fields then `_id`
 * ascending) that the collection no longer declares: each costs every write. Others (`_id_`, any index an
 * operator made under another name) are left alone. A collection not created yet has none.
 */
const dropUndeclaredIndexes = async (docs: MongoCollection<Stored>, declared: Set<string>) => {
  const existing = await docs
    .listIndexes()
    .toArray()
    .catch((error: unknown) => {
      if (error instanceof MongoServerError && error.codeName === "NamespaceNotFound") return [];
      throw error;
    });
  for (const index of existing) {
    const paths = Object.keys(index.key ?? {});
    const ours =
      paths.length >= 2 &&
      paths.at(-1) === "_id" &&
      Object.values(index.key).every((direction) => direction === 1) &&
      index.name === ourIndexName(paths.slice(0, -1));
    if (!ours || declared.has(index.name)) continue;
    // Another replica opening at the same time may have dropped it first.
    await docs.dropIndex(index.name).catch((error: unknown) => {
      if (!(error instanceof MongoServerError && error.codeName === "IndexNotFound")) throw error;
    });
  }
};

const toStored = <T extends { id: string }>(doc: T, rev: number): Stored => {
  const { id, ...rest } = doc;
  return { ...rest, _id: id, _rev: rev };
};

const fromStored = <T>(stored: Stored): T => {
  const { _id, _rev, ...rest } = stored;
  return { id: _id, ...rest } as unknown as T;
};

const equalityFilter = (entries: [string, FieldValue][]): Filter<Stored> =>
  Object.fromEntries(entries.map(([field, value]) => [pathOf(field), value]));

const mongoCollection = async <T extends { id: string }>(
  db: Db,
  prefix: string,
  fields: IndexedFields,
  { compound, partial }: CollectionOptions,
): Promise<Collection<T>> => {
  const name = fields.collection;
  const docs: MongoCollection<Stored> = db.collection<Stored>(`${prefix}${name}`);
  // (field, _id) serves equality on the field alone too, and keyset pages ordered by it; _id is indexed already.
  const declared = declaredCompounds(fields, compound, partial);
  // A partial index answers as a full one does: MongoDB keeps it full (see CollectionOptions.partial).
  const indexSpecs = [...fields.indexed.map((field) => [field]), ...declared.compound, ...declared.partial].map(
    (index) => ({
      key: Object.fromEntries([...index.map((field) => [pathOf(field), 1] as const), ["_id", 1] as const]),
      name: ourIndexName(index.map(pathOf)),
    }),
  );
  if (indexSpecs.length > 0) await docs.createIndexes(indexSpecs);
  await dropUndeclaredIndexes(docs, new Set(indexSpecs.map((spec) => spec.name)));

  const collection: Collection<T> = {
    async get(id) {
      const stored = await docs.findOne({ _id: id });
      return stored ? { doc: fromStored<T>(stored), rev: stored._rev } : undefined;
    },
    async getBy(field, value) {
      fields.assert(field);
      const stored = await docs.findOne({ [pathOf(field)]: value } as Filter<Stored>, { sort: { _id: 1 } });
      return stored ? fromStored<T>(stored) : undefined;
    },
    async put(doc, expectedRev) {
      for (const field of fields.names) indexedValue(name, doc, field);
      if (expectedRev === null) {
        try {
          await docs.insertOne(toStored(doc, 1));
          return 1;
        } catch (error) {
          if (error instanceof MongoServerError && error.code === duplicateKey) {
            throw new RevisionConflict(name, doc.id, null);
          }
          throw error;
        }
      }
      // A replacement, not $set: fields the new document no longer has must go.
      const { _id, ...replacement } = toStored(doc, expectedRev + 1);
      const result = await docs.replaceOne({ _id: doc.id, _rev: expectedRev }, replacement);
      if (result.matchedCount === 0) throw new RevisionConflict(name, doc.id, expectedRev);
      return expectedRev + 1;
    },
    update: (id, fn) => updateWithRetry(collection, id, fn),
    async delete(id) {
      await docs.deleteOne({ _id: id });
    },
    async find(query) {
      const plan = planFind(fields, query);
      if (plan.limit === 0) return [];
      const filters = [equalityFilter(plan.where)];
      if (plan.idRange) filters.push({ _id: { $gte: plan.idRange.from, $lt: plan.idRange.below } });
      if (plan.after) filters.push(keysetFilter(plan.orderField, plan.descending, plan.after));
      const direction = plan.descending ? -1 : 1;
      const sort: [string, 1 | -1][] = plan.orderField === "id" ? [] : [[plan.orderField, direction]];
      sort.push(["_id", direction]);
      let cursor = docs.find({ $and: filters }).sort(sort);
      // MongoDB reads limit 0 as "no limit", which is what an absent limit means here.
      if (plan.limit !== undefined) cursor = cursor.limit(plan.limit);
      return (await cursor.toArray()).map((stored) => fromStored<T>(stored));
    },
    async sum(field, where) {
      fields.assert(field);
      const match = {
        ...equalityFilter(checkedWhere(fields, where)),
        [pathOf(field)]: { $ne: null },
      } as Filter<Stored>;
      const [result] = await docs
        .aggregate<{ total: number }>([
          { $match: match },
          { $group: { _id: null, total: { $sum: `$${pathOf(field)}` } } },
        ])
        .toArray();
      return result?.total ?? 0;
    },
    async count(where) {
      return docs.countDocuments(equalityFilter(checkedWhere(fields, where)));
    },
    async *all() {
      // Keyset batches rather than one long cursor: a slow rebuild must not outlive the server's cursor timeout.
      let after: string | undefined;
      for (;;) {
        const filter: Filter<Stored> = after === undefined ? {} : { _id: { $gt: after } };
        const batch = await docs.find(filter).sort({ _id: 1 }).limit(batchSize).toArray();
        for (const stored of batch) yield fromStored<T>(stored);
        if (batch.length < batchSize) return;
        after = batch.at(-1)!._id;
      }
    },
    async clear() {
      await docs.deleteMany({});
    },
  };
  return collection;
};

/**
 * Documents strictly after the cursor in (field, _id) order. MongoDB sorts null (and missing) below every value,
 * so null precedes every value ascending and follows every value descending, as in the SQLite adapter.
 */
const keysetFilter = (field: string, descending: boolean, after: { value: FieldValue; id: string }): Filter<Stored> => {
  const cmp = descending ? "$lt" : "$gt";
  if (field === "id") return { _id: { [cmp]: after.id } };
  if (after.value === null) {
    return descending
      ? { [field]: null, _id: { $lt: after.id } }
      : { $or: [{ [field]: { $ne: null } }, { [field]: null, _id: { $gt: after.id } }] };
  }
  const ahead: Filter<Stored>[] = [
    { [field]: { [cmp]: after.value } },
    { [field]: after.value, _id: { [cmp]: after.id } },
  ];
  if (descending) ahead.push({ [field]: null });
  return { $or: ahead };
};
