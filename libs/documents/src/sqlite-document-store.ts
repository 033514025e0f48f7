import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from "node:sqlite";
import { openSqliteDatabase, sqliteGroupCommit } from "@reelgate/sqlite";
import type { LRUCache } from "lru-cache";
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
  type Revisioned,
} from "./port.ts";
import { deepFreeze, type SqliteReadCache, sqliteReadCache } from "./read-cache.ts";
import { updateWithRetry } from "./update-with-retry.ts";

const batchSize = 500;

type GroupCommit = ReturnType<typeof sqliteGroupCommit>;

/** The embedded adapter: one table per collection, the JSON document plus one plain column per indexed field. */
export const openSqliteDocumentStore = (path: string): DocumentStore => {
  const db = openSqliteDatabase(path);
  // The writes of one event-loop turn share a transaction: a projection writing many documents pays one commit.
  const writes = sqliteGroupCommit(db);
  const cache = sqliteReadCache(db);
  const opened = new Map<string, { indexes: string; collection: unknown }>();
  return {
    async collection<T extends { id: string }>(name: string, options: CollectionOptions) {
      const indexes = indexesKey(options);
      const cached = opened.get(name);
      if (cached && cached.indexes !== indexes) {
        throw new Error(`${name}: already opened with indexes [${cached.indexes}], not [${indexes}]`);
      }
      if (cached) return cached.collection as Collection<T>;
      const collection = sqliteCollection<T>(
        db,
        writes,
        indexedFields(name, options.indexes, options.fields),
        options,
        cache,
      );
      opened.set(name, { indexes, collection });
      return collection;
    },
    async close() {
      writes.flush();
      db.close();
    },
  };
};

/** A field value as a map key: a Map tells "10" from 10 and true from 1, as the column does; null gets a stand-in. */
const NULL_VALUE = Symbol("null");
const valueKey = (value: FieldValue) => value ?? NULL_VALUE;
type ValueKey = ReturnType<typeof valueKey>;

/**
 * The documents found by `getBy`, one map per field keyed by the value itself: no key string is built (and
 * hashed) per read, and a value that is the same string each time (a memoised key hash) is hashed once.
 * At most `max` entries per field.
 */
const fieldCaches = <T extends object>(cache: SqliteReadCache, max: number) => {
  const byField = new Map<string, LRUCache<ValueKey, T>>();
  return {
    of(field: string): LRUCache<ValueKey, T> {
      let map = byField.get(field);
      if (!map) {
        map = cache.map<T, ValueKey>(max);
        byField.set(field, map);
      }
      return map;
    },
    /** Only the maps that hold any: lru-cache's clear fills every slot array (the cache's size) even when empty. */
    clear() {
      for (const map of byField.values()) if (map.size > 0) map.clear();
    },
  };
};

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const columnOf = (field: string) => (field === "id" ? "id" : quote(`ix_${field}`));
// node:sqlite binds no booleans; 1/0 is also what json_extract gives when a column is backfilled.
const toSql = (value: FieldValue): SQLInputValue => (typeof value === "boolean" ? Number(value) : value);

const sqliteCollection = <T extends { id: string }>(
  db: DatabaseSync,
  writes: GroupCommit,
  fields: IndexedFields,
  { compound, partial, cache: cacheSize }: CollectionOptions,
  cache: SqliteReadCache,
): Collection<T> => {
  const name = fields.collection;
  const table = quote(name);
  const declared = declaredCompounds(fields, compound, partial);
  createTable(db, table, fields, declared.compound, declared.partial);
  const cached = cacheSize
    ? { byId: cache.map<Revisioned<T>>(cacheSize), byField: fieldCaches<T>(cache, cacheSize) }
    : undefined;
  /** Run by every write as it runs (a write may run twice): whatever it changes is no longer known. */
  const forget = (id?: string) => {
    if (!cached) return;
    if (id === undefined) cached.byId.clear();
    else cached.byId.delete(id);
    // Any write may change which document an indexed value names.
    cached.byField.clear();
  };
  /** Remembers what was read, unless it was read inside a transaction that might yet roll back. */
  const remember = <K extends {}, V extends object>(map: LRUCache<K, V>, key: K, value: V): V => {
    deepFreeze(value);
    if (!db.isTransaction) map.set(key, value);
    return value;
  };

  const statements = new Map<string, StatementSync>();
  const statement = (sql: string) => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = db.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };

  const columns = fields.names.map(columnOf);
  const insertSql =
    `INSERT INTO ${table} (id, rev, doc${columns.map((c) => `, ${c}`).join("")}) ` +
    `VALUES (?, 1, ?${", ?".repeat(columns.length)}) ON CONFLICT (id) DO NOTHING`;
  const indexedValues = (doc: T) => fields.names.map((field) => toSql(indexedValue(name, doc, field)));
  /**
   * The update of a revision whose indexed values are known (`before`, from the document read at that revision)
   * sets only the columns that changed: SQLite rewrites the entry of every index over a column an UPDATE sets,
   * even to the same value, and each entry rewritten is a page written. The columns left alone are checked to
   * still hold the values assumed (a delete and re-insert elsewhere could give the row the same revision again),
   * so a wrong guess is a conflict, never a stale index entry. Without `before`, every column is set.
   */
  const updates = new Map<string, StatementSync>();
  const updateOf = (values: SQLInputValue[], before: SQLInputValue[] | undefined) => {
    const changed = columns.map((_, i) => before === undefined || before[i] !== values[i]);
    const key = changed.map(Number).join("");
    let prepared = updates.get(key);
    if (!prepared) {
      const set = columns.filter((_, i) => changed[i]).map((c) => `, ${c} = ?`);
      const kept = columns.map((c, i) => (changed[i] ? "" : ` AND ${c} IS ?`));
      prepared = statement(
        `UPDATE ${table} SET rev = rev + 1, doc = ?${set.join("")} WHERE id = ? AND rev = ?${kept.join("")}`,
      );
      updates.set(key, prepared);
    }
    return {
      prepared,
      setParams: values.filter((_, i) => changed[i]),
      keptParams: values.filter((_, i) => !changed[i]),
    };
  };
  /** Indexed values of a document read back, or undefined if one cannot be stored (it was never written so). */
  const knownValues = (doc: T | undefined) => {
    if (doc === undefined) return undefined;
    try {
      return indexedValues(doc);
    } catch {
      return undefined;
    }
  };

  const whereClause = (entries: [string, FieldValue][], extra: string[] = []) => {
    const conditions = entries.map(([field, value]) =>
      value === null ? `${columnOf(field)} IS NULL` : `${columnOf(field)} = ?`,
    );
    const params = entries.flatMap(([, value]) => (value === null ? [] : [toSql(value)]));
    const all = [...conditions, ...extra];
    return { sql: all.length ? ` WHERE ${all.join(" AND ")}` : "", params };
  };

  /**
   * What a write leaves in the cache once committed: the document as written at its new revision, so the next read
   * of it (the projection's next event of the same video, the client's poll) needs no SELECT and no parse. Right
   * after the COMMIT (see the group commit): a later commit of another connection is one the next look sees.
   */
  const written = cached
    ? (doc: T) => (rev: number) => {
        remember(cached.byId, doc.id, { doc, rev });
      }
    : undefined;

  /** A compare-and-set write; `before` is the document believed to be at `expectedRev`, if known. */
  const write = (doc: T, expectedRev: number | null, before: T | undefined): Promise<number> => {
    const json = JSON.stringify(doc);
    const values = indexedValues(doc);
    return writes.write(
      () => {
        forget(doc.id);
        if (expectedRev === null) {
          const { changes } = statement(insertSql).run(doc.id, json, ...values);
          if (Number(changes) === 0) throw new RevisionConflict(name, doc.id, null);
          return 1;
        }
        const update = updateOf(values, knownValues(before));
        const { changes } = update.prepared.run(json, ...update.setParams, doc.id, expectedRev, ...update.keptParams);
        if (Number(changes) === 0) throw new RevisionConflict(name, doc.id, expectedRev);
        return expectedRev + 1;
      },
      // One statement either way: a conflict has written nothing, and fails alone without a savepoint.
      { clean: true, ...(written ? { committed: written(doc) } : {}) },
    );
  };

  const collection: Collection<T> = {
    async get(id, options) {
      if (cached) {
        if (!options?.lookedSinceStart) cache.fresh();
        const hit = cached.byId.get(id);
        if (hit) return hit;
      }
      const row = statement(`SELECT rev, doc FROM ${table} WHERE id = ?`).get(id);
      if (!row) return undefined;
      const found = { doc: JSON.parse(row.doc as string) as T, rev: Number(row.rev) };
      return cached ? remember(cached.byId, id, found) : found;
    },
    async getBy(field, value) {
      fields.assert(field);
      const byValue = cached?.byField.of(field);
      const key = valueKey(value);
      if (byValue) {
        cache.fresh();
        const hit = byValue.get(key);
        if (hit) return hit;
      }
      const condition = value === null ? `${columnOf(field)} IS NULL` : `${columnOf(field)} = ?`;
      const sql = `SELECT doc FROM ${table} WHERE ${condition} ORDER BY id LIMIT 1`;
      const row = value === null ? statement(sql).get() : statement(sql).get(toSql(value));
      if (!row) return undefined;
      const found = JSON.parse(row.doc as string) as T;
      return byValue ? remember(byValue, key, found) : found;
    },
    put: (doc, expectedRev) => write(doc, expectedRev, undefined),
    update: (id, fn) => {
      // The put knows the document it replaces when it is the one just read at that revision.
      let read: Revisioned<T> | undefined;
      const reading = {
        get: async (key: string) => {
          read = await collection.get(key);
          return read;
        },
        put: (doc: T, rev: number | null) =>
          write(doc, rev, read !== undefined && read.rev === rev ? read.doc : undefined),
      };
      return updateWithRetry(reading, id, fn);
    },
    async delete(id) {
      await writes.write(
        () => {
          forget(id);
          return statement(`DELETE FROM ${table} WHERE id = ?`).run(id);
        },
        { clean: true },
      );
    },
    async find(query) {
      const plan = planFind(fields, query);
      const direction = plan.descending ? "DESC" : "ASC";
      const order = plan.orderField === "id" ? "" : `${columnOf(plan.orderField)} ${direction}, `;
      const ids = plan.idRange
        ? { sql: "id >= ? AND id < ?", params: [plan.idRange.from, plan.idRange.below] }
        : undefined;
      const rowsOf = (columns: string) => {
        const rows: Record<string, SQLOutputValue>[] = [];
        for (const range of keysetRanges(plan.orderField, plan.descending, plan.after)) {
          const remaining = plan.limit === undefined ? -1 : plan.limit - rows.length;
          if (remaining === 0) break;
          const extra = [ids, range].filter((condition) => condition !== undefined);
          const where = whereClause(
            plan.where,
            extra.map((condition) => condition.sql),
          );
          const sql = `SELECT ${columns} FROM ${table}${where.sql} ORDER BY ${order}id ${direction} LIMIT ?`;
          rows.push(
            ...statement(sql).all(...where.params, ...extra.flatMap((condition) => condition.params), remaining),
          );
        }
        return rows;
      };
      if (!cached) return rowsOf("doc").map((row) => JSON.parse(row.doc as string) as T);
      cache.fresh();
      const rows = rowsOf("id, rev, doc");
      // No other connection committed while the query ran: a cached document of the row's revision is the row's
      // document (parsed once), and what the query read may be remembered. Otherwise the rows are parsed and not
      // kept (they may predate that commit).
      const exact = cache.fresh();
      return rows.map((row) => {
        const id = row.id as string;
        const rev = Number(row.rev);
        const hit = exact ? cached.byId.get(id) : undefined;
        if (hit?.rev === rev) return hit.doc;
        const found = { doc: JSON.parse(row.doc as string) as T, rev };
        return exact ? remember(cached.byId, id, found).doc : deepFreeze(found).doc;
      });
    },
    async sum(field, where) {
      fields.assert(field);
      const clause = whereClause(checkedWhere(fields, where), [`${columnOf(field)} IS NOT NULL`]);
      const sql = `SELECT coalesce(sum(${columnOf(field)}), 0) AS total FROM ${table}${clause.sql}`;
      return Number(statement(sql).get(...clause.params)?.total ?? 0);
    },
    async count(where) {
      const clause = whereClause(checkedWhere(fields, where));
      return Number(statement(`SELECT count(*) AS n FROM ${table}${clause.sql}`).get(...clause.params)?.n ?? 0);
    },
    async *all() {
      let rows = statement(`SELECT id, doc FROM ${table} ORDER BY id LIMIT ${batchSize}`).all();
      while (rows.length > 0) {
        for (const row of rows) yield JSON.parse(row.doc as string) as T;
        if (rows.length < batchSize) return;
        const last = rows.at(-1)!.id as string;
        rows = statement(`SELECT id, doc FROM ${table} WHERE id > ? ORDER BY id LIMIT ${batchSize}`).all(last);
      }
    },
    async clear() {
      await writes.write(() => {
        forget();
        return statement(`DELETE FROM ${table}`).run();
      });
    },
  };
  return collection;
};

/**
 * The rows strictly after the cursor in (field, id) order, as consecutive runs that each seek the (field, id)
 * index (an OR across NULL and non-NULL would scan it). SQLite sorts NULL first: NULLs precede every value
 * ascending and follow every value descending. No cursor: one run with no condition.
 */
const keysetRanges = (
  field: string,
  descending: boolean,
  after: { value: FieldValue; id: string } | undefined,
): ({ sql: string; params: SQLInputValue[] } | undefined)[] => {
  if (!after) return [undefined];
  const cmp = descending ? "<" : ">";
  if (field === "id") return [{ sql: `id ${cmp} ?`, params: [after.id] }];
  const column = columnOf(field);
  const restOfNulls = { sql: `${column} IS NULL AND id ${cmp} ?`, params: [after.id] };
  if (after.value === null)
    return descending ? [restOfNulls] : [restOfNulls, { sql: `${column} IS NOT NULL`, params: [] }];
  const restOfValues = { sql: `(${column}, id) ${cmp} (?, ?)`, params: [toSql(after.value), after.id] };
  return descending ? [restOfValues, { sql: `${column} IS NULL`, params: [] }] : [restOfValues];
};

/** Creates the table, and adds (and backfills) the column and index of any indexed field it lacks. */
const createTable = (
  db: DatabaseSync,
  table: string,
  fields: IndexedFields,
  compound: string[][],
  partial: string[][],
) => {
  // IMMEDIATE: two processes opening the same collection must not both add a column.
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, rev INTEGER NOT NULL, doc TEXT NOT NULL)`);
    const existing = new Set(
      db
        .prepare(`PRAGMA table_info(${table})`)
        .all()
        .map((row) => row.name as string),
    );
    for (const field of fields.names) {
      const column = columnOf(field);
      if (!existing.has(`ix_${field}`)) {
        // No declared type: the column keeps the bound type, so "10" and 10 stay distinct as in MongoDB.
        db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
        db.exec(`UPDATE ${table} SET ${column} = json_extract(doc, '$.${field}')`);
      }
    }
    // (field, id) serves equality on the field alone too, and keyset pages ordered by it.
    const declared = new Map<string, { index: string[]; partial: boolean }>();
    const declare = (index: string[], isPartial: boolean) => {
      declared.set(`${fields.collection}__${index.join("_")}`, { index, partial: isPartial });
    };
    for (const index of [...fields.indexed.map((field) => [field]), ...compound]) declare(index, false);
    for (const index of partial) declare(index, true);
    // An index of the same name made full where it is now partial (or the other way round) is made again.
    const partialNow = new Map(
      db
        .prepare(`PRAGMA index_list(${table})`)
        .all()
        .map((row) => [row.name as string, Boolean(row.partial)]),
    );
    for (const [name, { index, partial: isPartial }] of declared) {
      if (partialNow.has(name) && partialNow.get(name) !== isPartial) db.exec(`DROP INDEX ${quote(name)}`);
      const where = isPartial ? ` WHERE ${columnOf(index.at(-1)!)} IS NOT NULL` : "";
      db.exec(`CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${table} (${index.map(columnOf).join(", ")}, id)${where}`);
    }
    // An index this adapter made for an earlier declaration (named `{collection}__…`) costs every write a
    // b-tree: dropped. Queries stay correct without it (an index only makes them faster).
    const made = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL")
      .all(fields.collection)
      .map((row) => row.name as string)
      .filter((name) => name.startsWith(`${fields.collection}__`) && !declared.has(name));
    for (const name of made) db.exec(`DROP INDEX ${quote(name)}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
};
