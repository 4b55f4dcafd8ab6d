import type { Database } from './database';

/**
 * Calls `onChange` when another connection has committed to the store since the last look: a CLI command, another
 * window, browser mode, or one of this app's own worker processes. SQLite's `PRAGMA data_version` changes only for
 * other connections' commits, and reading it touches no table, so polling it every second or two costs nothing.
 */
export function watchOtherWriters(db: Database, everyMs: number, onChange: () => void): () => void {
  const version = () => db.pragma('data_version', { simple: true }) as number;
  let last = version();
  const timer = setInterval(() => {
    let now: number;
    try {
      now = version();
    } catch {
      return; // Closing: the next start reads the store afresh anyway.
    }
    if (now !== last) {
      last = now;
      onChange();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
