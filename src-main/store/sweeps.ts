import { statement, type Database } from './database';
import { currentProjectSql } from './projects';

export interface SweepRow {
  id: number;
  name: string;
  datasetId: number;
  /** JSON: the training config every run starts from. */
  baseConfig: string;
  /** JSON: the parameters varied and their values. */
  axes: string;
  projectId: number;
  createdAt: string;
}

const columns =
  'id, name, dataset_id AS datasetId, base_config AS baseConfig, axes, project_id AS projectId, created_at AS createdAt';

export function insertSweep(db: Database, sweep: Omit<SweepRow, 'id' | 'createdAt' | 'projectId'>): number {
  const result = statement(
    db,
    `INSERT INTO sweeps (name, dataset_id, base_config, axes, created_at, project_id)
     VALUES (?, ?, ?, ?, ?, ${currentProjectSql})`,
  ).run(sweep.name, sweep.datasetId, sweep.baseConfig, sweep.axes, new Date().toISOString());
  return Number(result.lastInsertRowid);
}

export function getSweep(db: Database, id: number): SweepRow | undefined {
  return statement(db, `SELECT ${columns} FROM sweeps WHERE id = ?`).get(id) as SweepRow | undefined;
}

export function listSweeps(db: Database): SweepRow[] {
  return statement(db, `SELECT ${columns} FROM sweeps ORDER BY id DESC`).all() as SweepRow[];
}
