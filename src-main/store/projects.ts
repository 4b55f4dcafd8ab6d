import { statement, type Database } from './database';
import { getSetting, setSetting } from './settings';

export interface ProjectRow {
  id: number;
  name: string;
  createdAt: string;
}

/** The setting that remembers the open project, so the app opens on it next time. */
const currentKey = 'currentProject';

/**
 * SQL for "the open project's id", for INSERTs: new datasets, runs and sweeps join the project that is open when
 * they are made, whichever process makes them.
 */
export const currentProjectSql = `coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '${currentKey}'), 1)`;

export function listProjects(db: Database): Array<ProjectRow & { datasets: number; runs: number; sweeps: number }> {
  return statement(
    db,
    `SELECT p.id, p.name, p.created_at AS createdAt,
       (SELECT count(*) FROM datasets d WHERE d.project_id = p.id AND d.status = 'ready') AS datasets,
       (SELECT count(*) FROM runs r WHERE r.project_id = p.id) AS runs,
       (SELECT count(*) FROM sweeps s WHERE s.project_id = p.id) AS sweeps
     FROM projects p ORDER BY p.id`,
  ).all() as Array<ProjectRow & { datasets: number; runs: number; sweeps: number }>;
}

export function getProject(db: Database, id: number): ProjectRow | undefined {
  return statement(db, 'SELECT id, name, created_at AS createdAt FROM projects WHERE id = ?').get(id) as
    ProjectRow | undefined;
}

export function findProjectByName(db: Database, name: string): ProjectRow | undefined {
  return statement(db, 'SELECT id, name, created_at AS createdAt FROM projects WHERE name = ?').get(name) as
    ProjectRow | undefined;
}

export function insertProject(db: Database, name: string): number {
  const result = statement(db, 'INSERT INTO projects (name, created_at) VALUES (?, ?)').run(
    name,
    new Date().toISOString(),
  );
  return Number(result.lastInsertRowid);
}

export function renameProject(db: Database, id: number, name: string): void {
  statement(db, 'UPDATE projects SET name = ? WHERE id = ?').run(name, id);
}

export function currentProjectId(db: Database): number {
  const id = Number(getSetting(db, currentKey) ?? 1);
  return getProject(db, id) ? id : 1;
}

export function setCurrentProject(db: Database, id: number): void {
  setSetting(db, currentKey, String(id));
}

/** Whether a row belongs to the open project (lists show only those). */
export function inOpenProject(db: Database): (row: { projectId: number }) => boolean {
  const current = currentProjectId(db);
  return (row) => row.projectId === current;
}
