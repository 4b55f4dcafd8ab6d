import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isTemporaryName } from './files';
import { isOwnerAlive, thisProcess } from './process-owner';

/**
 * Temporaries we write outside the data folder (a run export assembled in the user's chosen folder, where the final
 * rename must happen) are recorded inside it, so start-up clean-up can remove what a killed process left there.
 * Only a path whose name is one of our temporary names is ever removed, whatever a record says.
 */
function recordsDir(dataDir: string): string {
  return join(dataDir, 'outside-temporaries');
}

/** Records `path` as this process's temporary; returns the function that forgets it once the work is settled. */
export function rememberOutsideTemporary(dataDir: string, path: string): () => void {
  if (!isTemporaryName(basename(path))) throw new Error(`${path} is not a temporary name`);
  mkdirSync(recordsDir(dataDir), { recursive: true });
  const record = join(recordsDir(dataDir), `${basename(path)}.json`);
  writeFileSync(record, JSON.stringify({ owner: thisProcess, path }));
  return () => rmSync(record, { force: true });
}

/** Removes the recorded temporaries of processes that are gone, and their records. */
export function removeAbandonedOutsideTemporaries(dataDir: string): void {
  let names: string[];
  try {
    names = readdirSync(recordsDir(dataDir));
  } catch {
    return;
  }
  for (const name of names) {
    const record = join(recordsDir(dataDir), name);
    let entry: { owner?: unknown; path?: unknown } = {};
    try {
      entry = JSON.parse(readFileSync(record, 'utf8')) as typeof entry;
    } catch {
      // A record cut short by a crash: its owner is gone with it.
    }
    if (typeof entry.owner === 'string' && isOwnerAlive(entry.owner)) continue;
    if (typeof entry.path === 'string' && isTemporaryName(basename(entry.path))) {
      rmSync(entry.path, { recursive: true, force: true });
    }
    rmSync(record, { force: true });
  }
}
