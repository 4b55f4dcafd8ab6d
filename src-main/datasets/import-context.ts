import type { Database } from '../store/database';
import type { ImportProgress } from '../api/contract';
import { throwIfCancelled, UserError } from '../api/errors';
import { isNameTaken } from '../store/datasets';

/** What an import needs from its caller: the store, a way to cancel, and somewhere to report progress. */
export interface ImportContext {
  db: Database;
  dataDir: string;
  signal: AbortSignal;
  onProgress(update: Pick<ImportProgress, 'phase' | 'done' | 'total' | 'skipped'>): void;
}

export const throwIfImportCancelled = (signal: AbortSignal) => throwIfCancelled(signal, 'The import was cancelled');

/** The name the user chose (which must be free), or a free one made from a default: "faces", "faces (2)"… */
export function chooseDatasetName(db: Database, chosen: string | undefined, fallback: string): string {
  if (chosen !== undefined) {
    if (isNameTaken(db, chosen))
      throw new UserError('conflict', `A dataset named "${chosen}" already exists. Choose another name.`);
    return chosen;
  }
  let name = fallback;
  for (let n = 2; isNameTaken(db, name); n++) name = `${fallback} (${n})`;
  return name;
}
