import { describe, expect, it } from 'vitest';
import { killSweep } from '../../../scripts/kill-sweep';

/**
 * One SIGKILL at a random moment of each long command (the script's short form; `npm run check:kills` runs more):
 * after each, the next start leaves an intact store with no leftovers, and the interrupted job finishes.
 */
describe('kill sweep', () => {
  it('import, train, sweep, embed, project, export and import of runs, delete-run and free-space survive a kill', async () => {
    const results = await killSweep({ trials: 1, minutes: 8, seed: 7 });
    expect(results.map((r) => r.operation)).toEqual([
      'import',
      'train',
      'sweep',
      'embed',
      'project',
      'export-run',
      'import-run',
      'export-pytorch',
      'delete-run',
      'free-space',
    ]);
    expect(results.filter((r) => r.problems.length)).toEqual([]);
  }, 480_000);
});
