import { isOwnerAlive, thisProcess } from '../app/process-owner';
import { statement, type Database } from './database';
import { currentProjectSql } from './projects';

export type Split = 'train' | 'test';

export interface DatasetRow {
  id: number;
  name: string;
  source: string;
  status: 'importing' | 'ready';
  width: number;
  height: number;
  channels: 1 | 3;
  classNames: string[];
  pixelFile: string;
  projectId: number;
  createdAt: string;
}

/** A datasets row as SQLite returns it: JSON and snake_case columns not yet mapped. */
type RawDatasetRow = Omit<DatasetRow, 'classNames' | 'pixelFile' | 'createdAt' | 'projectId'> & {
  class_names: string;
  pixel_file: string;
  project_id: number;
  created_at: string;
};

function fromRaw(raw: RawDatasetRow): DatasetRow {
  return {
    id: raw.id,
    name: raw.name,
    source: raw.source,
    status: raw.status,
    width: raw.width,
    height: raw.height,
    channels: raw.channels,
    classNames: JSON.parse(raw.class_names) as string[],
    pixelFile: raw.pixel_file,
    projectId: raw.project_id,
    createdAt: raw.created_at,
  };
}

export function insertDataset(
  db: Database,
  dataset: Omit<DatasetRow, 'id' | 'createdAt' | 'status' | 'projectId'>,
): number {
  const result = statement(
    db,
    `INSERT INTO datasets (name, source, status, width, height, channels, class_names, pixel_file, created_at, project_id,
         owner)
       VALUES (@name, @source, 'importing', @width, @height, @channels, @classNames, @pixelFile, @createdAt,
         ${currentProjectSql}, @owner)`,
  ).run({
    ...dataset,
    classNames: JSON.stringify(dataset.classNames),
    createdAt: new Date().toISOString(),
    owner: thisProcess,
  });
  return Number(result.lastInsertRowid);
}

export function markDatasetReady(db: Database, id: number): void {
  statement(db, `UPDATE datasets SET status = 'ready' WHERE id = ?`).run(id);
}

export function listDatasets(db: Database): DatasetRow[] {
  const rows = statement(db, `SELECT * FROM datasets WHERE status = 'ready' ORDER BY id`).all() as RawDatasetRow[];
  return rows.map(fromRaw);
}

export function getDataset(db: Database, id: number): DatasetRow | undefined {
  const raw = statement(db, `SELECT * FROM datasets WHERE id = ? AND status = 'ready'`).get(id) as
    RawDatasetRow | undefined;
  return raw && fromRaw(raw);
}

export function findDatasetByName(db: Database, name: string): DatasetRow | undefined {
  const raw = statement(db, `SELECT * FROM datasets WHERE name = ? AND status = 'ready'`).get(name) as
    RawDatasetRow | undefined;
  return raw && fromRaw(raw);
}

/**
 * Datasets left half-imported by a process that is gone (killed, crashed); their rows and files are removed at
 * start-up. An import whose process still runs (another window, a CLI import) is not a leftover.
 */
export function listAbandonedImports(db: Database): number[] {
  const rows = statement(db, `SELECT id, owner FROM datasets WHERE status = 'importing'`).all() as Array<{
    id: number;
    owner: string | null;
  }>;
  return rows.filter((row) => !isOwnerAlive(row.owner)).map((row) => row.id);
}

export function deleteDatasetRow(db: Database, id: number): void {
  statement(db, 'DELETE FROM datasets WHERE id = ?').run(id);
}

/** True when any dataset, finished or still importing, has this name (names are unique). */
export function isNameTaken(db: Database, name: string, exceptId = 0): boolean {
  return statement(db, 'SELECT 1 FROM datasets WHERE name = ? AND id != ?').get(name, exceptId) !== undefined;
}

export function renameDataset(db: Database, id: number, name: string): void {
  statement(db, 'UPDATE datasets SET name = ? WHERE id = ?').run(name, id);
}

export function setDatasetReport(db: Database, id: number, report: unknown): void {
  statement(db, 'UPDATE datasets SET report = ? WHERE id = ?').run(JSON.stringify(report), id);
}

export function getDatasetReport(db: Database, id: number): unknown {
  const row = statement(db, 'SELECT report FROM datasets WHERE id = ?').get(id) as
    { report: string | null } | undefined;
  return row?.report ? (JSON.parse(row.report) as unknown) : null;
}
