import { statement, type Database } from './database';

export type ArtifactKind = 'reconstructions';

export interface ArtifactRow {
  id: number;
  kind: ArtifactKind;
  epoch: number;
  path: string;
  meta: string;
}

export function insertArtifact(
  db: Database,
  artifact: { runId: number; kind: ArtifactKind; epoch: number; path: string; meta: unknown },
): void {
  statement(
    db,
    `INSERT INTO artifacts (run_id, kind, epoch, path, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, kind, epoch) DO UPDATE SET path = excluded.path, meta = excluded.meta`,
  ).run(
    artifact.runId,
    artifact.kind,
    artifact.epoch,
    artifact.path,
    JSON.stringify(artifact.meta),
    new Date().toISOString(),
  );
}

export function listArtifacts(db: Database, runId: number, kind: ArtifactKind): ArtifactRow[] {
  return statement(
    db,
    'SELECT id, kind, epoch, path, meta FROM artifacts WHERE run_id = ? AND kind = ? ORDER BY epoch',
  ).all(runId, kind) as ArtifactRow[];
}
