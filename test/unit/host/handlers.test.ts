import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterEach } from 'vitest';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers, type ApiHandlers } from '../../../src-main/host/handlers';
import { methodChannels, type Result } from '../../../src-main/api/contract';
import type { ProcessHandle } from '../../../src-main/app/process-handle';
import type { FromWorker, ToWorker } from '../../../src-main/worker/protocol';
import { useTempDirs } from '../../helpers/temp-dir';
import { makeImage, writeTree } from '../../helpers/image-folder';
import { dataLayout } from '../../../src-main/app/paths';
import { presetConfig } from '../../../src-main/models/presets';

const smallConv = presetConfig('small-conv', [28, 28, 1])!;
const smallDense = presetConfig('small-dense', [28, 28, 1])!;

/** Counts the rows of every table, to prove a rejected request changed nothing. */
function snapshot(services: Services): Record<string, number> {
  const tables = ['datasets', 'images', 'runs', 'metrics', 'checkpoints', 'artifacts', 'settings'];
  return Object.fromEntries(
    tables.map((t) => [t, (services.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
}

/** A worker that never trains (these tests are about the API, not training); it exits when asked to stop. */
function idleWorker<In extends ToWorker, Out extends FromWorker>(): ProcessHandle<In, Out> {
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  const exit = () => exitListeners.splice(0).forEach((listener) => listener(0, null));
  return {
    pid: undefined,
    send: (message) => {
      if (message.type === 'stop') setImmediate(exit);
    },
    onMessage: () => {},
    onExit: (listener) => exitListeners.push(listener),
    kill: exit,
  };
}

describe('API handlers', () => {
  const tempDir = useTempDirs();
  let services: Services;
  let api: ApiHandlers;

  function open() {
    services = openServices({ dataDir: tempDir(), spawnWorker: idleWorker });
    api = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
  }

  afterEach(async () => {
    await services.close();
  });

  it('answers every channel of the contract', async () => {
    open();
    const answered = await Promise.all(
      methodChannels
        .filter((c) => c !== 'engine:status')
        .map(async (channel) => [channel, await api.invoke(channel, undefined)] as const),
    );
    for (const [channel, result] of answered) {
      // No-argument channels succeed; the others reject the missing argument as data, never by throwing.
      if (result.ok)
        expect([
          'app:info',
          'datasets:list',
          'presets:list',
          'runs:list',
          'runs:diskUse',
          'sweeps:list',
          'lab:status',
          'projects:list',
          'training:current',
          'results:cancel',
        ]).toContain(channel);
      else expect(result.error.code).toBe(channel === 'app:chooseFolder' ? 'unsupported' : 'invalid_argument');
    }
  });

  it.each([
    ['an unknown channel', 'files:delete', {}, 'invalid_argument', /Unknown request/],
    [
      'a missing field',
      'datasets:images',
      { datasetId: 1, split: 'train', offset: 0 },
      'invalid_argument',
      /^Limit is missing\.$/,
    ],
    [
      'a wrong type',
      'training:start',
      { datasetId: '1', config: smallConv },
      'invalid_argument',
      /^Dataset must be a number\.$/,
    ],
    [
      'an extra field',
      'runs:get',
      { runId: 1, sql: 'DROP TABLE runs' },
      'invalid_argument',
      /^The request has no setting called "sql"\.$/,
    ],
    [
      'negative epochs',
      'training:start',
      { datasetId: 1, config: { ...smallConv, epochs: -3 } },
      'invalid_argument',
      /at least 1 epoch/,
    ],
    [
      'a NaN learning rate',
      'training:start',
      { datasetId: 1, config: { ...smallConv, learningRate: Number.NaN } },
      'invalid_argument',
      /^Learning rate must be a number\.$/,
    ],
    [
      'a negative learning rate',
      'training:start',
      { datasetId: 1, config: { ...smallConv, learningRate: -0.1 } },
      'invalid_argument',
      /learning rate must be greater than 0/,
    ],
    [
      'a huge page',
      'datasets:images',
      { datasetId: 1, split: 'train', offset: 0, limit: 1_000_000 },
      'invalid_argument',
      /At most 500/,
    ],
    [
      'a config made for other images',
      'training:start',
      { datasetId: 1, config: { ...smallConv, input: { height: 32, width: 32, channels: 3 } } },
      'invalid_argument',
      /made for 32x32 RGB images, but the dataset has 28x28 grayscale images/,
    ],
    [
      'a kernel larger than the feature map',
      'training:start',
      {
        datasetId: 1,
        config: {
          ...smallConv,
          model: {
            ...smallConv.model,
            encoder: [
              { type: 'conv', filters: 4, kernel: 15, stride: 1, padding: 'valid' },
              { type: 'conv', filters: 4, kernel: 15, stride: 1, padding: 'valid' },
            ],
          },
        },
      },
      'invalid_argument',
      /Encoder layer 2 \(conv\): its 15x15 kernel is larger than its 14x14 input/,
    ],
    [
      'BCE with an output that is not a probability',
      'training:start',
      {
        datasetId: 1,
        config: { ...smallConv, loss: 'bce', model: { ...smallConv.model, outputActivation: 'linear' } },
      },
      'invalid_argument',
      /Binary cross-entropy needs outputs between 0 and 1/,
    ],
    [
      'an unknown dataset',
      'training:start',
      { datasetId: 99, config: smallConv },
      'not_found',
      /no dataset with id 99/,
    ],
    ['an unknown run', 'runs:get', { runId: 12345 }, 'not_found', /no run with id 12345/],
    [
      'a zero latent size',
      'training:start',
      { datasetId: 1, config: { ...smallConv, model: { ...smallConv.model, latent: 0 } } },
      'invalid_argument',
      /latent size must be at least 1/,
    ],
    ['pausing a run that is not training', 'training:pause', { runId: 12345 }, 'not_found', /no run with id 12345/],
  ])('rejects %s with a clear error and changes nothing', async (_, channel, arg, code, message) => {
    open();
    const before = snapshot(services);
    const result = await api.invoke(channel, arg);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message).toMatch(message);
    }
    expect(snapshot(services)).toEqual(before);
  });

  it.each([
    ['config.batchSize', { ...smallConv, batchSize: 1.5 }, 'Batch size must be a whole number.'],
    ['config.seed', { ...smallConv, seed: -1 }, 'Seed must be at least 0.'],
    ['config.optimizer', { ...smallConv, optimizer: 'adamw' }, 'Optimizer must be one of "adam", "rmsprop", "sgd".'],
    [
      'config.model.encoder.0.filters',
      { ...smallConv, model: { ...smallConv.model, encoder: [{ ...smallConv.model.encoder[0], filters: 0 }] } },
      'Encoder layer 1: the number of filters must be at least 1.',
    ],
    [
      'config.model.decoder.0.padding',
      { ...smallConv, model: { ...smallConv.model, decoder: [{ ...smallConv.model.decoder[0], padding: 'full' }] } },
      'Decoder layer 1 padding must be one of "same", "valid".',
    ],
    [
      'config.checkpoints.keepEvery',
      { ...smallConv, checkpoints: { keepLast: 2 } },
      'Every N-th checkpoint kept is missing.',
    ],
  ])('names %s in words and says which setting it is', async (field, config, message) => {
    open();
    const result = await api.invoke('models:plan', { datasetId: 1, config });
    expect(result).toEqual({ ok: false, error: { code: 'invalid_argument', message, field } });
  });

  it("starts a run from a preset with the user's changes, and refuses to resume what is not stopped", async () => {
    open();
    const [dataset] = ((await api.invoke('datasets:list', undefined)) as Result<Array<{ id: number }>> & { ok: true })
      .value;
    const started = await api.invoke('training:start', {
      datasetId: dataset.id,
      config: { ...smallDense, epochs: 2, model: { ...smallDense.model, latent: 8 } },
      name: 'My run',
    });
    expect(started).toMatchObject({ ok: true, value: { name: 'My run', status: 'queued', epochs: 2, epochsDone: 0 } });
    const runId = (started as { value: { id: number } }).value.id;
    const detail = await api.invoke('runs:get', { runId });
    expect(detail).toMatchObject({
      ok: true,
      value: {
        config: {
          epochs: 2,
          preset: 'small-dense',
          input: { height: 28, width: 28, channels: 1 },
          model: { variant: 'standard', latent: 8 },
        },
      },
    });
    expect(await api.invoke('training:resume', { runId })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await api.invoke('runs:reconstructions', { runId })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.stringMatching(/after its first epoch/) },
    });
  });

  it('adapts presets to the dataset and summarises a config, or says what is wrong with it', async () => {
    open();
    const presets = await api.invoke('presets:list', { datasetId: 1 });
    expect(presets.ok).toBe(true);
    if (!presets.ok) return;
    const list = presets.value as Array<{ id: string; origin: string; config: { input?: unknown } }>;
    expect(list.map((p) => p.id)).toEqual(
      expect.arrayContaining(['small-conv', 'fashion-cae-2d', 'conv-unpool', 'conv-vae']),
    );
    const fashion = list.find((p) => p.id === 'fashion-cae-2d')!;
    const planned = await api.invoke('models:plan', { datasetId: 1, config: fashion.config });
    expect(planned).toMatchObject({ ok: true, value: { ok: true, summary: { totalParams: 306_699, latentSize: 2 } } });
    const broken = await api.invoke('models:plan', {
      datasetId: 1,
      config: {
        ...fashion.config,
        model: { ...(fashion.config as typeof smallConv).model, decoder: [{ type: 'unpool' }] },
      },
    });
    expect(broken).toMatchObject({
      ok: true,
      value: {
        ok: false,
        problem: expect.stringMatching(/decoder ends with 11x11 feature maps, but the images are 28x28/),
      },
    });
  });

  it('serves thumbnails: pixels for exactly the images listed', async () => {
    open();
    const page = await api.invoke('datasets:images', { datasetId: 1, split: 'test', offset: 5, limit: 7 });
    expect(page.ok).toBe(true);
    if (!page.ok) return;
    const value = page.value as { images: unknown[]; pixels: string; total: number; width: number; height: number };
    expect(value.images).toHaveLength(7);
    expect(value.total).toBe(2000);
    expect(Buffer.from(value.pixels, 'base64').length).toBe(7 * value.width * value.height);
  });
});

describe('API handlers with damaged files', () => {
  const tempDir = useTempDirs();

  it('reports a missing pixel cache as a file error and changes nothing', async () => {
    const services = openServices({ dataDir: tempDir(), spawnWorker: idleWorker });
    const api = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
    const dataset = services.db.prepare('SELECT id, pixel_file AS pixelFile FROM datasets').get() as {
      id: number;
      pixelFile: string;
    };
    rmSync(join(services.dataDir, dataset.pixelFile));
    const before = snapshot(services);
    const result = await api.invoke('datasets:images', { datasetId: dataset.id, split: 'train', offset: 0, limit: 10 });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'file_error', message: expect.stringMatching(/pixel cache .* cannot be read/) },
    });
    expect(snapshot(services)).toEqual(before);
    // The rest of the app keeps answering.
    expect(await api.invoke('runs:list', undefined)).toMatchObject({ ok: true });
    await services.close();
  });
});

describe('dataset API', () => {
  const tempDir = useTempDirs();
  let services: Services;
  let api: ApiHandlers;

  afterEach(async () => {
    await services.close();
  });

  async function value<T>(promise: Promise<Result<unknown>>): Promise<T> {
    const result = await promise;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value as T;
  }

  async function importFolder(folder: string, name: string): Promise<number> {
    const { jobId } = await value<{ jobId: number }>(api.invoke('datasets:import', { path: folder, name, size: 8 }));
    const done = await services.imports.waitFor(jobId);
    expect(done).toMatchObject({ status: 'completed', phase: 'finished' });
    return done.datasetId!;
  }

  it('imports a folder as a background job with progress, then renames and deletes it with its runs and files', async () => {
    services = openServices({ dataDir: tempDir(), spawnWorker: idleWorker });
    api = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
    const folder = tempDir();
    const files: Record<string, Buffer | string> = { 'a/bad.png': 'not a png' };
    for (let i = 0; i < 6; i++)
      files[`${i % 2 ? 'a' : 'b'}/${i}.png`] = await makeImage('png', 10, 10, { left: i * 30 });
    writeTree(folder, files);
    const seen: string[] = [];
    const unsubscribe = api.subscribe('import:progress', (p) => seen.push(`${p.status}:${p.phase}`));
    const datasetId = await importFolder(folder, 'Faces');
    unsubscribe();
    expect(seen[0]).toBe('running:scanning');
    expect(seen).toContain('running:decoding');
    expect(seen.at(-1)).toBe('completed:finished');

    const report = await value<{ imported: number; skipped: Array<{ path: string }> }>(
      api.invoke('datasets:report', { datasetId }),
    );
    expect(report.imported).toBe(6);
    expect(report.skipped).toEqual([{ path: 'a/bad.png', reason: expect.stringMatching(/not an image/) }]);

    // The same folder again, at the same size and colours, is refused until asked for as a second copy; at another
    // size it is a new dataset.
    expect(await api.invoke('datasets:import', { path: folder, size: 8 })).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: `This folder is already imported as "Faces" (dataset ${datasetId}, 8x8 RGB). Import it again only to keep a second copy.`,
      },
    });
    const copy = await value<{ jobId: number }>(api.invoke('datasets:import', { path: folder, size: 8, again: true }));
    expect(await services.imports.waitFor(copy.jobId)).toMatchObject({ status: 'completed' });
    const other = await value<{ jobId: number }>(api.invoke('datasets:import', { path: folder, size: 12 }));
    const otherDone = await services.imports.waitFor(other.jobId);
    expect(otherDone).toMatchObject({ status: 'completed' });
    for (const id of [otherDone.datasetId!, (await services.imports.waitFor(copy.jobId)).datasetId!]) {
      expect(await api.invoke('datasets:delete', { datasetId: id })).toMatchObject({ ok: true });
    }

    expect(await api.invoke('datasets:rename', { datasetId, name: 'Fashion-MNIST sample' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await api.invoke('datasets:rename', { datasetId, name: '  Faces v2 ' })).toMatchObject({
      ok: true,
      value: { name: 'Faces v2' },
    });

    const run = await value<{ id: number }>(
      api.invoke('training:start', { datasetId, config: presetConfig('small-dense', [8, 8, 3])! }),
    );
    expect(await api.invoke('datasets:delete', { datasetId })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/stop it before deleting/) },
    });
    await value(api.invoke('training:stop', { runId: run.id }));
    await services.supervisor.waitForRun(run.id);
    const datasetDir = dataLayout(services.dataDir).datasetDir(datasetId);
    expect(existsSync(datasetDir)).toBe(true);
    expect(await api.invoke('datasets:delete', { datasetId })).toEqual({ ok: true, value: null });
    expect(existsSync(datasetDir)).toBe(false);
    expect(await api.invoke('runs:get', { runId: run.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await value<Array<{ name: string }>>(api.invoke('datasets:list', undefined))).map((d) => d.name)).toEqual([
      'Fashion-MNIST sample',
    ]);
  });

  it.each([
    ['a tiny size', { path: '/tmp', size: 4 }, /at least 8 pixels/],
    ['a named colour', { path: '/tmp', background: 'red' }, /colour like #ffffff/],
    ['too large a test split', { path: '/tmp', testSplit: 0.95 }, /At most 90%/],
    ['three channels as text', { path: '/tmp', channels: '3' }, /^Colour channels must be one of 1, 3\.$/],
    ['an empty path', { path: '' }, /Choose a folder/],
  ])('refuses an import with %s before starting anything', async (_, args, message) => {
    services = openServices({ dataDir: tempDir(), spawnWorker: idleWorker });
    api = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
    const before = snapshot(services);
    expect(await api.invoke('datasets:import', args)).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument', message: expect.stringMatching(message) },
    });
    expect(snapshot(services)).toEqual(before);
  });

  it('says plainly what cannot be done', async () => {
    services = openServices({ dataDir: tempDir(), spawnWorker: idleWorker });
    api = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'test', transport: 'browser' });
    expect(await api.invoke('datasets:import', { path: join(tempDir(), 'missing') })).toMatchObject({
      ok: false,
      error: { code: 'file_error', message: expect.stringMatching(/does not exist/) },
    });
    expect(await api.invoke('datasets:cancelImport', { jobId: 99 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await api.invoke('app:chooseFolder', undefined)).toMatchObject({
      ok: false,
      error: { code: 'unsupported' },
    });
    expect(await api.invoke('datasets:delete', { datasetId: 42 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
