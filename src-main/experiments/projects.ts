import type { Database } from '../store/database';
import * as projects from '../store/projects';
import { UserError } from '../api/errors';
import type { ProjectList } from '../api/contract';

/** Every project with what it holds, and the one that is open. */
export function listProjects(db: Database): ProjectList {
  return { current: projects.currentProjectId(db), projects: projects.listProjects(db) };
}

function requireUniqueName(db: Database, name: string, except?: number): void {
  const taken = projects.findProjectByName(db, name);
  if (taken && taken.id !== except) throw new UserError('conflict', `There is already a project named "${name}".`);
}

/** A new, empty project, opened at once: what is imported or trained next goes into it. */
export function createProject(db: Database, name: string): ProjectList {
  requireUniqueName(db, name);
  projects.setCurrentProject(db, projects.insertProject(db, name));
  return listProjects(db);
}

/** Opens a project; the app opens on it next time too. */
export function openProject(db: Database, projectId: number): ProjectList {
  if (!projects.getProject(db, projectId))
    throw new UserError('not_found', `There is no project with id ${projectId}.`);
  projects.setCurrentProject(db, projectId);
  return listProjects(db);
}

export function renameProject(db: Database, projectId: number, name: string): ProjectList {
  if (!projects.getProject(db, projectId))
    throw new UserError('not_found', `There is no project with id ${projectId}.`);
  requireUniqueName(db, name, projectId);
  projects.renameProject(db, projectId, name);
  return listProjects(db);
}
