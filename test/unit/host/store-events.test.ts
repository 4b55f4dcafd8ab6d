import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ChangedIds, Result, RunSummary } from '../../../src-main/api/contract';
import { dataLayout } from '../../../src-main/app/paths';
import { finishRun, insertRun } from '../../../src-main/store/runs';
import { insertMetric } from '../../../src-main/store/metrics';
import { presetConfig } from '../../../src-main/models/presets';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { openRendererApi } from '../../helpers/renderer-api';

const config = JSON.stringify({ ...presetConfig('small-dense', [28, 28, 1])!, epochs: 3 });

/**
 * The store's events through the API every transport serves: they name what changed, whichever connection changed
 * it, and the runs list (kept between calls) shows the change.
 */
describe('store events', () => {
  const tempDir = useTempDirs();

  it('name the runs and datasets another process changed, and the runs list follows', async () => {
    const dataDir = tempDir();
    const { handlers: api, services } = openRendererApi(dataDir);
    const list = async (args?: { ids: number[] }) =>
      ((await api.invoke('runs:list', args)) as Result<RunSummary[]> & { ok: true }).value;
    const heard: Array<[string, ChangedIds | { at: number }]> = [];
    for (const event of ['runs:changed', 'datasets:changed', 'projects:changed'] as const)
      api.subscribe(event, (payload) => heard.push([event, payload]));
    try {
      const datasetId = createFashionSubset(services.db, dataDir, 8, 4);
      const first = insertRun(services.db, { datasetId, name: 'First', config });
      const second = insertRun(services.db, { datasetId, name: 'Second', config });
      expect((await list()).map((run) => run.name)).toEqual(['Second', 'First']);
      await expect.poll(() => heard.length, { timeout: 5000 }).toBeGreaterThan(0);
      heard.length = 0;

      // Another process (the CLI) finishes an epoch of one run: the event names that run, and only it.
      const cli = new Database(dataLayout(dataDir).database);
      try {
        cli.prepare("UPDATE runs SET name = 'Renamed by the CLI', epochs_done = 1 WHERE id = ?").run(first);
        insertMetric(cli, first, {
          scope: 'epoch',
          step: 1,
          epoch: 1,
          trainLoss: 0.05,
          testLoss: 0.04,
          imagesPerSec: 100,
          elapsedMs: 900,
        });
      } finally {
        cli.close();
      }
      await expect.poll(() => heard, { timeout: 5000 }).toEqual([['runs:changed', { ids: [first] }]]);
      const [renamed] = await list({ ids: [first] });
      expect(renamed).toMatchObject({ id: first, name: 'Renamed by the CLI', epochsDone: 1, bestTestLoss: 0.04 });
      expect((await list()).map((run) => [run.id, run.name, run.trainingMs])).toEqual([
        [second, 'Second', null],
        [first, 'Renamed by the CLI', 900],
      ]);

      // A renamed dataset shows in every one of its runs' rows.
      heard.length = 0;
      await api.invoke('datasets:rename', { datasetId, name: 'Renamed set' });
      await expect.poll(() => heard, { timeout: 5000 }).toEqual([['datasets:changed', { ids: [datasetId] }]]);
      expect((await list()).map((run) => run.datasetName)).toEqual(['Renamed set', 'Renamed set']);

      // A deleted run is not listed; asked for by id, it is simply not there.
      finishRun(services.db, second, 'stopped');
      expect(await api.invoke('runs:delete', { runId: second })).toEqual({ ok: true, value: null });
      expect(await list({ ids: [second, first] })).toHaveLength(1);
      expect((await list()).map((run) => run.id)).toEqual([first]);
    } finally {
      await services.close();
    }
  }, 30_000);
});
