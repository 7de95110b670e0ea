// A second process that takes the write lock on the bridge's SQLite file (BEGIN IMMEDIATE) and
// holds it for the given time, as a backup job or a careless `sqlite3` shell would.
// Usage: node sqlite-locker.mjs <file> <holdMs>. Prints "locked" once it holds the lock.
import Database from "better-sqlite3";

const [file, holdMs] = process.argv.slice(2);
const db = new Database(file, { timeout: 30_000 });
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\n");
setTimeout(() => {
  db.exec("COMMIT");
  db.close();
  process.stdout.write("released\n");
}, Number(holdMs));
