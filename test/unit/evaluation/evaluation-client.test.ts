import { describe, expect, it } from 'vitest';
import { EvaluationClient } from '../../../src-main/evaluation/evaluation-client';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import type { FromWorker, ToWorker } from '../../../src-main/worker/protocol';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { useTempDirs } from '../../helpers/temp-dir';

/** The results worker from main's side, with real worker processes: one killed mid-request fails only that request. */
describe('evaluation client', () => {
  const tempDir = useTempDirs();

  it('fails the requests of a worker that died and starts a new one for the next', async () => {
    const dataDir = tempDir();
    openDatabase(dataLayout(dataDir).database).close();
    const workers: Array<{ kill(): void }> = [];
    const client = new EvaluationClient(dataDir, <In extends ToWorker, Out extends FromWorker>() => {
      const worker = spawnNodeWorker<In, Out>();
      workers.push(worker);
      return worker;
    });
    try {
      const pending = client.request('results:model', { runId: 5 });
      workers[0].kill();
      await expect(pending).rejects.toThrow(/The results process ended unexpectedly \(SIGKILL\); try again\./);

      // The next request gets a fresh worker, which answers (here: in words, that there is no such run).
      await expect(client.request('results:model', { runId: 5 })).rejects.toMatchObject({
        code: 'not_found',
        message: 'There is no run with id 5.',
      });
      expect(workers).toHaveLength(2);
    } finally {
      client.close();
    }
  }, 60_000);
});
