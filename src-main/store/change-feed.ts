import { statement, type Database } from './database';

/** What changed in the store since a reader last looked, by kind; null ids: anything of that kind may have. */
export interface StoreChanges {
  runs: number[] | null;
  datasets: number[] | null;
  sweeps: number[] | null;
  /** Runs whose codes or maps changed. */
  latent: number[] | null;
  /** A project was made, renamed or opened: every list may differ. */
  projects: boolean;
}

/** How long the log keeps a change: a reader that looks less often than this gets "anything may have changed". */
const keepSeconds = 3600;

/** The last change ever logged (AUTOINCREMENT's counter, which pruning does not lower). */
const lastSeq = (db: Database) =>
  (
    statement(db, "SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'changes'").get() as {
      seq: number;
    }
  ).seq;

/**
 * One reader's place in the store's change log (written by triggers: migrations/0012-change-log.ts), so it learns
 * which runs, datasets, sweeps and maps changed — whoever changed them, this process or another — without re-reading
 * them all.
 */
export class ChangeFeed {
  private cursor: number;

  constructor(private readonly db: Database) {
    this.cursor = lastSeq(db);
  }

  /** What changed since the last call (or since the feed was made); null when nothing did. */
  read(): StoreChanges | null {
    const last = lastSeq(this.db);
    if (last === this.cursor) return null;
    const oldest = (statement(this.db, 'SELECT min(seq) AS seq FROM changes').get() as { seq: number | null }).seq;
    const rows = statement(this.db, 'SELECT seq, kind, item_id AS id FROM changes WHERE seq > ? ORDER BY seq').all(
      this.cursor,
    ) as Array<{ seq: number; kind: string; id: number | null }>;
    // The changes right after this reader's place were pruned: it cannot know what they were.
    const missed = oldest === null || oldest > this.cursor + 1;
    this.cursor = last;
    if (missed) return { runs: null, datasets: null, sweeps: null, latent: null, projects: true };
    const ids = (kind: string): number[] | null => {
      const of = rows.filter((row) => row.kind === kind);
      // A map deleted with its codes cannot name its run any more (item_id NULL).
      return of.some((row) => row.id === null) ? null : [...new Set(of.map((row) => row.id!))];
    };
    return {
      runs: ids('run'),
      datasets: ids('dataset'),
      sweeps: ids('sweep'),
      latent: ids('latent'),
      projects: rows.some((row) => row.kind === 'project'),
    };
  }
}

/** Forgets changes older than everyone needs (the log would otherwise grow with every epoch ever trained). */
export function pruneChanges(db: Database): void {
  statement(db, 'DELETE FROM changes WHERE at < unixepoch() - ?').run(keepSeconds);
}
