import { execFileSync } from "node:child_process";
import type { DatabaseSync } from "node:sqlite";

/** A connection whose `PRAGMA data_version` statements count how often they run. */
export const countingPragmas = (db: DatabaseSync) => {
  let pragmas = 0;
  const counted = new Proxy(db, {
    get(target, property) {
      if (property === "prepare")
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (sql !== "PRAGMA data_version") return statement;
          return {
            get: () => {
              pragmas++;
              return statement.get();
            },
          };
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, pragmas: () => pragmas };
};

/** A commit by another process (the CLI, another replica) to the database at `path`, finished when this returns. */
export const commitFromAnotherProcess = (path: string, sql: string) =>
  execFileSync(
    process.execPath,
    [
      "-e",
      `const { DatabaseSync } = require("node:sqlite"); const db = new DatabaseSync(${JSON.stringify(path)});` +
        `db.exec("PRAGMA busy_timeout = 5000"); db.exec(${JSON.stringify(sql)}); db.close();`,
    ],
    { stdio: "pipe" },
  );
