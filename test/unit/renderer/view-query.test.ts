import { describe, expect, it } from 'vitest';
import type { RunRef } from '../../../src-main/api/contract';
import { insertRun } from '../../../src-main/store/runs';
import { presetConfig } from '../../../src-main/models/presets';
import { ViewQuery } from '../../../src-renderer/state/view-query.svelte';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { openRendererApi } from '../../helpers/renderer-api';

/** A view's request state against the real services: an answer, a problem in words, and what a failure leaves shown. */
describe('a view query', () => {
  const tempDir = useTempDirs();

  it('holds the answer, says what went wrong in words, and keeps or clears the last answer as asked', async () => {
    const dataDir = tempDir();
    const { api, services } = openRendererApi(dataDir);
    try {
      const datasetId = createFashionSubset(services.db, dataDir, 8, 4);
      const config = JSON.stringify({ ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2 });
      const runId = insertRun(services.db, { datasetId, name: 'Only run', config });
      const keeping = new ViewQuery((ref: RunRef) => api.runs.get(ref));
      const clearing = new ViewQuery((ref: RunRef) => api.runs.get(ref), true);
      for (const query of [keeping, clearing]) {
        const asked = query.load({ runId });
        expect(query.busy).toBe(true);
        await asked;
        expect([query.busy, query.problem, query.value?.run.name]).toEqual([false, null, 'Only run']);
        await query.load({ runId: 999 });
        expect(query.problem).toBe('There is no run with id 999.');
        expect(query.cancelled).toBe(false);
      }
      expect(keeping.value?.run.id).toBe(runId);
      expect(clearing.value).toBeNull();
    } finally {
      await services.close();
    }
  }, 30_000);
});
