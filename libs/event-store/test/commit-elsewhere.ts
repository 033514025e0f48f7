import { DatabaseSync } from "node:sqlite";

/**
 * Another connection's commit to a SQLite event store's file, made synchronously, so a test can place it
 * in the middle of an event-loop turn of the store under test (the store's own appends settle a turn later).
 */
export const commitElsewhere = (path: string, stream: string, version: number, id: string) => {
  const db = new DatabaseSync(path);
  try {
    const envelope = {
      id,
      type: "Tested",
      schemaVersion: 1,
      data: {},
      stream,
      version,
      occurredAt: new Date().toISOString(),
      correlationId: id,
      causationId: null,
      accountId: null,
    };
    db.exec("BEGIN IMMEDIATE");
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO commits (stream_id, seq, version, commit_id, stream_type, events, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(stream, version, version, id, stream.split("-")[0]!, JSON.stringify([envelope]), envelope.occurredAt);
    db.prepare("INSERT INTO event_ids (id, commit_position) VALUES (?, ?)").run(id, lastInsertRowid);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
};
