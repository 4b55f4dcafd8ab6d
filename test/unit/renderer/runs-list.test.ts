import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../../src-main/api/contract';
import { dataLayout } from '../../../src-main/app/paths';
import { finishRun, insertRun } from '../../../src-main/store/runs';
import { presetConfig } from '../../../src-main/models/presets';
import { RunsList } from '../../../src-renderer/state/runs-list.svelte';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { openRendererApi } from '../../helpers/renderer-api';

const config = JSON.stringify({ ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2 });

/** The window's runs list against the real services, through the API client the renderer uses. */
describe('the runs list state', () => {
  const tempDir = useTempDirs();

  it('loads the runs, then follows what other processes change, keeping the rows that did not change', async () => {
    const dataDir = tempDir();
    const { api, services } = openRendererApi(dataDir);
    const errors: ApiError[] = [];
    const list = new RunsList(api, (error) => errors.push(error));
    const stop = list.follow();
    try {
      const datasetId = createFashionSubset(services.db, dataDir, 8, 4);
      const first = insertRun(services.db, { datasetId, name: 'First', config });
      const second = insertRun(services.db, { datasetId, name: 'Second', config });
      finishRun(services.db, second, 'stopped');
      await list.refresh();
      expect(list.runs.map((run) => [run.id, run.name, run.status])).toEqual([
        [second, 'Second', 'stopped'],
        [first, 'First', 'queued'],
      ]);
      const untouched = list.runs[0];

      // The CLI renames one run and adds another; another process deletes nothing yet.
      const cli = new Database(dataLayout(dataDir).database);
      let third: number;
      try {
        cli.prepare("UPDATE runs SET name = 'Renamed by the CLI' WHERE id = ?").run(first);
        third = insertRun(cli, { datasetId, name: 'Third', config });
      } finally {
        cli.close();
      }
      await expect
        .poll(() => list.runs.map((run) => run.name), { timeout: 5000 })
        .toEqual(['Third', 'Second', 'Renamed by the CLI']);
      expect(list.runs[1]).toBe(untouched);
      expect(list.runs[0].id).toBe(third);

      // A deleted run leaves the list when its change is heard.
      expect(await api.runs.delete({ runId: second })).toEqual({ ok: true, value: null });
      await expect.poll(() => list.runs.map((run) => run.id), { timeout: 5000 }).toEqual([third, first]);
      expect(errors).toEqual([]);
    } finally {
      stop();
      await services.close();
    }
  }, 30_000);
});
