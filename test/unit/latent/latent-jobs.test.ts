import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers, type ApiHandlers } from '../../../src-main/host/handlers';
import type { ApiMethods, MethodChannel, Result } from '../../../src-main/api/contract';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { presetConfig } from '../../../src-main/models/presets';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { decodeBase64 } from '../../helpers/base64';
import { useTempDirs } from '../../helpers/temp-dir';

/** File names that break naive CSV writers: commas, quotes, line breaks, non-ASCII, a formula-looking start. */
const nastyNames = ['a,b.png', 'say "cheese".png', 'line\nbreak.png', 'café ☕ 😀.png', '=SUM(A1).png', ' spaced .png'];
const fileName = (i: number) => (i < nastyNames.length ? nastyNames[i] : `image ${i}.png`);

/**
 * Latent codes and maps of a real trained run, through the API the app and CLI use, with the work done in real worker
 * processes: stored once and reused, maps whose CSV a standard parser reads back exactly, search, and cancelling.
 */
describe('latent-space jobs', () => {
  const tempDir = useTempDirs();
  let services: Services;
  let api: ApiHandlers;
  let runId: number;
  let untrainedRunId: number;

  async function call<C extends MethodChannel>(channel: C, args: ApiMethods[C]['args']) {
    const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value;
  }

  async function finish(args: ApiMethods['latent:start']['args']) {
    const { jobId } = await call('latent:start', args);
    return services.latent.waitFor(jobId);
  }

  beforeAll(async () => {
    // One store for the whole suite (the per-test temp folders are removed after each test).
    const dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-latent-'));
    services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false });
    api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
    const datasetId = createFashionSubset(services.db, dataDir, 600, 300, 'Fashion subset', fileName);
    const config = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 64, learningRate: 3e-3 };
    runId = (await call('training:start', { datasetId, config })).id;
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');
    untrainedRunId = (await call('training:start', { datasetId, config: { ...config, epochs: 1 } })).id;
    await call('training:stop', { runId: untrainedRunId });
    return async () => {
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }, 120_000);

  it('encodes a split once and reuses the stored codes', async () => {
    const first = await finish({ runId, split: 'test' });
    expect(first.status).toBe('completed');
    const again = await finish({ runId, split: 'test' });
    expect(again.embeddingId).toBe(first.embeddingId);
    const { embeddings } = await call('latent:list', { runId });
    expect(embeddings).toEqual([expect.objectContaining({ id: first.embeddingId, count: 300, dims: 16, epoch: 2 })]);
    // Each image's stored reconstruction error is its MSE, so their mean is the run's test loss (an MSE run).
    const map = await finish({ runId, split: 'test', projection: { method: 'pca' } });
    const errors = new Float32Array(
      decodeBase64((await call('latent:map', { projectionId: map.projectionId! })).errors).buffer,
    );
    const testLoss = (await call('runs:list', undefined)).find((r) => r.id === runId)!.finalTestLoss!;
    expect(errors.every((e) => e > 0)).toBe(true);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeCloseTo(testLoss, 5);
  }, 60_000);

  it('makes a PCA map whose CSV a standard parser reads back with every file name and coordinate intact', async () => {
    const done = await finish({ runId, split: 'all', projection: { method: 'pca' } });
    expect(done.status).toBe('completed');
    const map = await call('latent:map', { projectionId: done.projectionId! });
    expect(map.projection.explainedVariance!.length).toBe(2);
    expect(map.projection.explainedVariance![0]).toBeGreaterThan(map.projection.explainedVariance![1]);
    const points = new Float32Array(decodeBase64(map.points).buffer);
    const labels = new Uint16Array(decodeBase64(map.labels).buffer);
    expect(points).toHaveLength(1800);

    const csv = await call('latent:csv', { projectionId: done.projectionId!, latent: true });
    expect(csv.rows).toBe(900);
    const file = join(tempDir(), csv.fileName);
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys; open(sys.argv[1], "w", encoding="utf-8", newline="").write(sys.stdin.read())', file],
      {
        input: csv.csv,
      },
    );
    // Python's csv module, fed the file as Tableau would read it.
    const parsed = JSON.parse(
      execFileSync('/usr/bin/python3', [
        '-c',
        'import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))))',
        file,
      ]).toString(),
    ) as string[][];
    expect(parsed[0].slice(0, 7)).toEqual(['file_name', 'label', 'label_name', 'split', 'x1', 'x2', 'z0']);
    expect(parsed[0]).toHaveLength(6 + 16);
    const rows = parsed.slice(1);
    expect(rows).toHaveLength(900);
    rows.forEach((row, i) => {
      expect(row[0]).toBe(fileName(i));
      expect(Number(row[1])).toBe(labels[i]);
      expect(row[3]).toBe(i < 600 ? 'train' : 'test');
      expect(Math.fround(Number(row[4]))).toBe(points[2 * i]);
      expect(Math.fround(Number(row[5]))).toBe(points[2 * i + 1]);
    });
    expect(rows[0][2]).toBe(map.classNames[labels[0]]);
    expect(readFileSync(file, 'utf8').split('\r\n')[0]).toMatch(/^file_name,/);
  }, 60_000);

  it('finds the nearest codes of an image', async () => {
    const { embeddingId } = await finish({ runId, split: 'all' });
    const embedding = { id: embeddingId! };
    const result = await call('latent:search', { embeddingId: embedding.id, index: 3, k: 5, metric: 'cosine' });
    expect(result.matches).toHaveLength(5);
    expect(result.matches.map((m) => m.index)).not.toContain(3);
    const distances = result.matches.map((m) => m.distance);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    await expect(
      api.invoke('latent:search', { embeddingId: embedding.id, index: 900, k: 5, metric: 'l2' }),
    ).resolves.toEqual({
      ok: false,
      error: { code: 'invalid_argument', message: expect.stringContaining('past the end') },
    });
  });

  it('makes a t-SNE map and, when cancelled, stores nothing', async () => {
    const tsne = {
      method: 'tsne',
      perplexity: 30,
      iterations: 300,
      learningRate: 'auto',
      exaggeration: 12,
      init: 'pca',
      seed: 1,
    } as const;
    const done = await finish({ runId, split: 'test', projection: tsne });
    expect(done.status).toBe('completed');
    const before = (await call('latent:list', { runId })).projections.length;

    const { jobId } = await call('latent:start', {
      runId,
      split: 'train',
      projection: { ...tsne, iterations: 10_000 },
    });
    const cancelled = new Promise<void>((resolve) => {
      const stop = services.latent.onProgress((p) => {
        if (p.jobId === jobId && p.phase === 'optimising' && p.done > 10) {
          stop();
          services.latent.cancel(jobId);
          resolve();
        }
      });
    });
    await cancelled;
    const end = await services.latent.waitFor(jobId);
    expect(end.status).toBe('cancelled');
    expect(end.projectionId).toBeNull();
    expect((await call('latent:list', { runId })).projections).toHaveLength(before);
  }, 90_000);

  it('makes a UMAP map that keeps classes together better than chance', async () => {
    const done = await finish({
      runId,
      split: 'test',
      projection: { method: 'umap', nNeighbors: 10, minDist: 0.1, epochs: 100, seed: 2 },
    });
    expect(done.status).toBe('completed');
    const map = await call('latent:map', { projectionId: done.projectionId! });
    expect(map.projection.settings).toMatchObject({ method: 'umap', nNeighbors: 10 });
    const points = new Float32Array(decodeBase64(map.points).buffer);
    const labels = new Uint16Array(decodeBase64(map.labels).buffer);
    expect(points.every(Number.isFinite)).toBe(true);
    // Each point's nearest other point in the map shares its class far more often than the 1 in 10 of chance. (A
    // 2-epoch dense AE's 300 test codes: 0.47 on one machine, just over 0.5 on another, as BLAS rounding differs.)
    let same = 0;
    for (let i = 0; i < labels.length; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < labels.length; j++) {
        const d = (points[2 * i] - points[2 * j]) ** 2 + (points[2 * i + 1] - points[2 * j + 1]) ** 2;
        if (j !== i && d < bestD) [best, bestD] = [j, d];
      }
      if (labels[best] === labels[i]) same++;
    }
    expect(same / labels.length).toBeGreaterThan(0.35);
  }, 90_000);

  it('says what is wrong with a run that has no checkpoint, a missing run or bad settings', async () => {
    const untrained = await api.invoke('latent:start', { runId: untrainedRunId, split: 'test' });
    expect(untrained).toEqual({
      ok: false,
      error: { code: 'not_found', message: expect.stringContaining('no checkpoint yet') },
    });
    expect(await api.invoke('latent:start', { runId: 999, split: 'test' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'There is no run with id 999.' },
    });
    const badPerplexity = await api.invoke('latent:start', {
      runId,
      split: 'test',
      projection: {
        method: 'tsne',
        perplexity: 1000,
        iterations: 300,
        learningRate: 'auto',
        exaggeration: 12,
        init: 'pca',
        seed: 1,
      },
    });
    expect(badPerplexity).toEqual({
      ok: false,
      error: {
        code: 'invalid_argument',
        message: 'The perplexity can be at most 200.',
        field: 'projection.perplexity',
      },
    });
    expect(await api.invoke('latent:map', { projectionId: 12345 })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'There is no map with id 12345.' },
    });
  }, 60_000);
});
