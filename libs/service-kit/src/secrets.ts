import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { secretProblem } from "@reelgate/contracts";

/** Where the embedded defaults keep the secrets they generate, under the data dir. */
export const secretsDir = (dataDir: string) => join(dataDir, "secrets");

/**
 * A secret generated once and kept under the data dir (`secrets/{name}`, readable by its owner only), so
 * a restart keeps it: the admin token an operator was shown, the key that signed media URLs handed out.
 * Two processes asking at once get the same one: each writes its own file and links it into place, which
 * only the first does (a link never shows a half-written file); the others read the winner's.
 */
export const dataDirSecret = (dataDir: string, name: string): string => {
  const dir = secretsDir(dataDir);
  const file = join(dir, name);
  const read = () => {
    const kept = readFileSync(file, "utf8").trim();
    const problem = secretProblem(kept);
    if (problem) throw new Error(`${file} ${problem}`);
    return kept;
  };
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(draft, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(draft);
  }
  return read();
};
