import type { Database } from 'better-sqlite3';

/**
 * A log of what changed, written by triggers so that every writer (this app's main process, its workers, a CLI
 * command, another window) records it without being asked: the kind of thing and its id. Readers keep their own place
 * in it (store/change-feed.ts) and tell the windows which runs, datasets, sweeps or maps to fetch again. Batch
 * metrics are not logged (a run's list row shows none of them); epoch metrics and checkpoints log their run.
 */
const logged: Array<{ table: string; kind: string; id: (row: 'NEW' | 'OLD') => string; when?: string }> = [
  { table: 'runs', kind: 'run', id: (row) => `${row}.id` },
  { table: 'metrics', kind: 'run', id: (row) => `${row}.run_id`, when: "scope = 'epoch'" },
  { table: 'checkpoints', kind: 'run', id: (row) => `${row}.run_id` },
  { table: 'datasets', kind: 'dataset', id: (row) => `${row}.id` },
  { table: 'projects', kind: 'project', id: (row) => `${row}.id` },
  { table: 'sweeps', kind: 'sweep', id: (row) => `${row}.id` },
  { table: 'embeddings', kind: 'latent', id: (row) => `${row}.run_id` },
  {
    table: 'projections',
    kind: 'latent',
    id: (row) => `(SELECT run_id FROM embeddings WHERE id = ${row}.embedding_id)`,
  },
  // Opening another project changes every list.
  { table: 'settings', kind: 'project', id: () => '0', when: "key = 'currentProject'" },
];

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE changes (
      seq     INTEGER PRIMARY KEY AUTOINCREMENT,
      kind    TEXT NOT NULL,
      item_id INTEGER,
      at      INTEGER NOT NULL DEFAULT (unixepoch())
    ) STRICT;
  `);
  for (const { table, kind, id, when } of logged) {
    for (const [event, row] of [
      ['INSERT', 'NEW'],
      ['UPDATE', 'NEW'],
      ['DELETE', 'OLD'],
    ] as const) {
      const condition = when ? `WHEN ${when.replace(/^(\w+)/, `${row}.$1`)}` : '';
      db.exec(`
        CREATE TRIGGER ${table}_${event.toLowerCase()}_logged AFTER ${event} ON ${table} ${condition}
        BEGIN INSERT INTO changes (kind, item_id) VALUES ('${kind}', ${id(row)}); END;
      `);
    }
  }
}
