/**
 * Lab hub benchmark: `npm run bench:lab`. Issue 36 asks for the jobs per second through the queue and the hub's
 * import time per run. On a real PostgreSQL (initdb + pg_ctl into a temporary folder, as the tests start one):
 *   - queue: `--jobs` jobs sent one by one, then fetched and completed by 4 consumers at once, as pg-boss serves the
 *     hub's workers (the hub's HTTP layer not included; its requests are small);
 *   - import: one run trained and exported for real (small-conv on a Fashion-MNIST subset, 3 epochs, every checkpoint
 *     kept) and packed with tar as a worker packs it, then uploaded `--imports` times to the hub's HTTP API on
 *     loopback as the lab runs of a sweep: received, unpacked, checked file by file, copied in, rows written in one
 *     transaction. MB/s is the packed folder's size over the time per upload.
 *
 *   npm run bench:lab
 *   npm run bench:lab -- --jobs 2000 --imports 20
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { create } from 'tar';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { listPresets } from '../src-main/models/presets';
import { storeSweep } from '../src-main/experiments/sweeps';
import { getRun } from '../src-main/store/runs';
import { LabQueue } from '../src-main/lab/lab-queue';
import { LabHub } from '../src-main/lab/lab-hub';
import { startLabServer } from '../src-main/lab/lab-hub-server';
import { HubClient } from '../src-main/lab/hub-client';
import { createFashionSubset } from '../test/helpers/fashion-subset';
import { startPostgres } from '../test/helpers/postgres';
import { openBenchServices } from './bench-services';

const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '1000' }, imports: { type: 'string', default: '10' } },
});
const jobCount = Number(values.jobs);
const importCount = Number(values.imports);

async function main(): Promise<void> {
  const pg = await startPostgres();
  const bench = openBenchServices('lab');
  let queue: LabQueue | undefined;
  try {
    queue = await LabQueue.open(
      { connectionString: pg.url, heartbeatSeconds: 60, retryLimit: 3, superviseSeconds: 10, runSeconds: 3600 },
      (err) => process.stderr.write(`queue: ${err.message}\n`),
    );
    let start = performance.now();
    for (let i = 0; i < jobCount; i++) await queue.send(randomUUID(), i + 1);
    const sendSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    let done = 0;
    const consume = async () => {
      for (let job = await queue!.fetch(); job; job = await queue!.fetch()) {
        await queue!.complete(job.id);
        done++;
      }
    };
    await Promise.all([consume(), consume(), consume(), consume()]);
    const workSeconds = (performance.now() - start) / 1000;
    console.log(`queue: sent ${jobCount} jobs at ${Math.round(jobCount / sendSeconds)} jobs/s`);
    console.log(`queue: fetched and completed ${done} jobs (4 consumers) at ${Math.round(done / workSeconds)} jobs/s`);

    const { services, call } = bench;
    const datasetId = createFashionSubset(services.db, bench.dataDir, 2000, 500);
    const preset = listPresets([28, 28, 1]).find((p) => p.id === 'small-conv')!;
    const config = {
      ...preset.config,
      epochs: 3,
      checkpoints: { keepLast: 3, keepEvery: 1 },
    };
    process.stderr.write('Training the run to import…\n');
    const trained = await call('training:start', { datasetId, config });
    const status = await services.supervisor.waitForRun(trained.id);
    if (status !== 'completed') throw new Error(`The run to import ended ${status}`);
    const exportDir = mkdtempSync(join(bench.dataDir, 'export-'));
    const { path } = await call('runs:export', { runId: trained.id, dir: exportDir });
    const packed = join(exportDir, 'run.tar');
    await create({ cwd: path, file: packed, portable: true }, ['.']);
    const body = readFileSync(packed);
    const megabytes = body.length / 1e6;
    const hub = new LabHub(services, queue);
    const token = 'bench-token';
    const server = await startLabServer({
      hub,
      token,
      host: '127.0.0.1',
      port: 0,
      maxUploadBytes: 1e9,
      checkSweep: () => {
        throw new Error('not in this bench');
      },
    });
    const client = new HubClient({ url: server.url, token });
    const { runIds } = storeSweep(
      services.db,
      {
        datasetId,
        config: JSON.parse(getRun(services.db, trained.id)!.config),
        axes: [{ param: 'seed', values: Array.from({ length: importCount }, (_, i) => i + 1) }],
      },
      () => randomUUID(),
    );
    const worker = { id: 'bench', host: 'bench', gpu: null, engine: 'bench' };
    const times: number[] = [];
    for (const runId of runIds) {
      const t = performance.now();
      const query = new URLSearchParams({ job: getRun(services.db, runId)!.labJob!, worker: JSON.stringify(worker) });
      const { imported } = await client.put<{ imported: boolean }>(`/runs/${runId}/folder?${query}`, body);
      times.push(performance.now() - t);
      if (!imported) throw new Error(`Run ${runId} was not imported`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    await server.close();
    console.log(
      `import over HTTP: ${importCount} runs of ${megabytes.toFixed(1)} MB: median ${median.toFixed(0)} ms per run ` +
        `(${(megabytes / (median / 1000)).toFixed(0)} MB/s), slowest ${sorted.at(-1)!.toFixed(0)} ms`,
    );
  } finally {
    await queue?.close();
    await bench.close();
    pg.dispose();
  }
}

await main();
