import { openDatabase } from '../store/database';
import { dataLayout } from '../app/paths';
import { selectEngine } from '../engine/select-engine';
import { runLatentJob } from '../latent/latent-job';
import type { LatentRequest } from '../latent/latent-jobs';
import { exitSoon, toApiError, type ParentPort } from './parent-port';

/**
 * A latent-space worker: encodes one run's images and lays the codes out in 2-D, then exits. Stop (Cancel, Ctrl+C)
 * aborts it between batches; it stores files first and rows last, so a stopped job leaves nothing half-stored.
 */
export function latentRole(parent: ParentPort): (message: LatentRequest) => void {
  const stop = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    stop.abort();
  });

  async function latent(dataDir: string, args: Extract<LatentRequest, { type: 'latent' }>['args']): Promise<void> {
    const db = openDatabase(dataLayout(dataDir).database);
    try {
      const engine = await selectEngine();
      const result = await runLatentJob(
        {
          tf: engine.tf,
          db,
          dataDir,
          signal: stop.signal,
          onProgress: (step) => parent.send({ type: 'latent-progress', step }),
        },
        args,
      );
      parent.send({ type: 'latent-done', result, error: null });
    } catch (err) {
      parent.send({ type: 'latent-done', result: null, error: toApiError('latent', err) });
    } finally {
      db.close();
    }
    exitSoon();
  }

  return (message) => {
    if (message.type === 'stop') stop.abort();
    else void latent(message.dataDir, message.args);
  };
}
