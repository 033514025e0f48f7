import type { FieldValue, FindQuery } from "./port.ts";

/** Plain identifiers only: safe as SQLite column names and never a MongoDB path (`a.b`) or operator (`$x`). */
const fieldName = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The fields a collection may filter, sort and sum on; `id` is always among them. */
export interface IndexedFields {
  collection: string;
  /** The declared fields, without `id` (adapters index it by construction): `indexes` then `fields`. */
  names: string[];
  /** Those of `names` with a (field, id) index of their own (`indexes`); the others only serve queries. */
  indexed: string[];
  /** Throws a clear Error when `field` was not declared (in `indexes` or `fields`). */
  assert(field: string): void;
}

/** The compound indexes, checked to name only indexed fields. */
export const compoundIndexes = (fields: IndexedFields, compound: string[][] = []): string[][] => {
  for (const index of compound) {
    if (index.length < 2) throw new Error(`${fields.collection}: a compound index needs two fields or more`);
    for (const field of index) fields.assert(field);
  }
  return compound;
};

/** The compound and partial indexes of a declaration, checked as `compoundIndexes` does, none declared twice. */
export const declaredCompounds = (fields: IndexedFields, compound: string[][] = [], partial: string[][] = []) => {
  const seen = new Set(fields.indexed);
  for (const index of [...compoundIndexes(fields, compound), ...compoundIndexes(fields, partial)]) {
    const key = index.join("\u0000");
    if (seen.has(key)) throw new Error(`${fields.collection}: index [${index.join(", ")}] is declared twice`);
    seen.add(key);
  }
  return { compound, partial };
};

/** The key that tells whether a collection is reopened with the same declaration. */
export const indexesKey = (options: {
  indexes?: string[];
  fields?: string[];
  compound?: string[][];
  partial?: string[][];
}) =>
  JSON.stringify([
    [...new Set(options.indexes)].sort(),
    [...new Set(options.fields)].sort(),
    options.compound ?? [],
    options.partial ?? [],
  ]);

export const indexedFields = (collection: string, indexes: string[] = [], fields: string[] = []): IndexedFields => {
  for (const name of [...indexes, ...fields]) {
    if (!fieldName.test(name)) throw new Error(`${collection}: index "${name}" is not a plain top-level field name`);
  }
  const indexed = [...new Set(indexes)].filter((name) => name !== "id");
  const names = [...new Set([...indexed, ...fields])].filter((name) => name !== "id");
  const known = new Set(["id", ...names]);
  return {
    collection,
    names,
    indexed,
    assert(field) {
      if (!known.has(field)) {
        throw new Error(`${collection}: "${field}" is not an indexed field (indexes: ${[...known].join(", ")})`);
      }
    },
  };
};

/** The value of an indexed field as stored for queries; a missing field is null. */
export const indexedValue = (collection: string, doc: { id: string }, field: string): FieldValue => {
  const value = (doc as unknown as Record<string, unknown>)[field];
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  throw new Error(`${collection}/${doc.id}: indexed field "${field}" must be a string, number, boolean or null`);
};

/** A validated find: the order is explicit (id ascending by default) and every named field is indexed. */
export interface FindPlan {
  where: [string, FieldValue][];
  orderField: string;
  descending: boolean;
  after: { value: FieldValue; id: string } | undefined;
  limit: number | undefined;
  /** The ids starting with the query's `idPrefix`: at least `from`, below `below`. */
  idRange: { from: string; below: string } | undefined;
}

/** The ids that start with `prefix`, as a range: `prefix` up to its last code unit plus one. */
export const idRangeOf = (collection: string, prefix: string | undefined) => {
  if (prefix === undefined || prefix === "") return undefined;
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last === 0xffff) throw new Error(`${collection}: an id prefix may not end in U+FFFF`);
  return { from: prefix, below: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
};

export const planFind = (fields: IndexedFields, query: FindQuery): FindPlan => {
  const where = checkedWhere(fields, query.where);
  const orderField = query.orderBy?.field ?? "id";
  fields.assert(orderField);
  const { limit } = query;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new Error(`${fields.collection}: limit must be a non-negative integer, got ${limit}`);
  }
  return {
    where,
    orderField,
    descending: query.orderBy?.direction === "desc",
    after: query.after,
    limit,
    idRange: idRangeOf(fields.collection, query.idPrefix),
  };
};

export const checkedWhere = (fields: IndexedFields, where: Record<string, FieldValue> = {}) => {
  const entries = Object.entries(where);
  for (const [field] of entries) fields.assert(field);
  return entries;
};
