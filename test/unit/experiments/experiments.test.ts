import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers, type ApiHandlers } from '../../../src-main/host/handlers';
import type { ApiMethods, MethodChannel, Result, TrainingConfig } from '../../../src-main/api/contract';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import { presetConfig } from '../../../src-main/models/presets';
import { insertRun } from '../../../src-main/store/runs';
import { dataLayout } from '../../../src-main/app/paths';
import { createFashionSubset } from '../../helpers/fashion-subset';

/** Runs as experiments, through the API the app uses, with real stores and real training processes. */
describe('experiments', () => {
  const opened: Array<{ services: Services; dataDir: string }> = [];

  function open(dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-experiments-')), resumeQueue = false) {
    const services = openServices({ dataDir, spawnWorker: spawnNodeWorker, sampleDataset: false, resumeQueue });
    opened.push({ services, dataDir });
    const api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
    return { services, api, dataDir };
  }

  afterAll(async () => {
    for (const { services, dataDir } of opened) {
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  async function call<C extends MethodChannel>(api: ApiHandlers, channel: C, args: ApiMethods[C]['args']) {
    const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value;
  }

  async function failure<C extends MethodChannel>(api: ApiHandlers, channel: C, args: ApiMethods[C]['args']) {
    const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (result.ok) throw new Error(`${channel} should have failed`);
    return result.error;
  }

  const tiny = (): TrainingConfig => ({
    ...presetConfig('small-dense', [28, 28, 1])!,
    epochs: 2,
    batchSize: 64,
    learningRate: 3e-3,
  });

  it('runs a sweep of three runs, carries it on after the app closes mid-way, and summarises it', async () => {
    const first = open();
    const datasetId = createFashionSubset(first.services.db, first.dataDir, 256, 64);
    const sweep = await call(first.api, 'sweeps:start', {
      datasetId,
      config: tiny(),
      axes: [{ param: 'latent', values: [2, 6, 16] }],
    });
    expect(sweep.runs.map((r) => r.values)).toEqual([{ latent: 2 }, { latent: 6 }, { latent: 16 }]);
    expect(sweep.status).toBe('running');
    const [one, two, three] = sweep.runs.map((r) => r.runId);
    expect(await first.services.supervisor.waitForRun(one)).toBe('completed');
    // The app closes while the second run trains: it is interrupted (not stopped by the user), the third stays queued.
    await first.services.close();

    const second = open(first.dataDir, true);
    const afterRestart = (await call(second.api, 'sweeps:list', undefined))[0];
    expect(afterRestart.runs.find((r) => r.runId === three)!.status).toMatch(/queued|running/);
    expect(await second.services.supervisor.waitForRun(two)).toBe('completed');
    expect(await second.services.supervisor.waitForRun(three)).toBe('completed');
    const done = (await call(second.api, 'sweeps:list', undefined))[0];
    expect(done.status).toBe('completed');
    expect(done.runs.every((r) => r.epochsDone === 2 && r.finalTestLoss !== null)).toBe(true);
    // Each run trained with its own code size.
    const detail = await call(second.api, 'runs:get', { runId: three });
    expect(detail.config.model.latent).toBe(16);
    expect(detail.run.sweepValues).toEqual({ latent: 16 });

    const comparison = await call(second.api, 'runs:compare', { runIds: [one, two, three] });
    expect(comparison.differences).toEqual([
      { setting: 'model.latent', label: 'Latent size', values: ['2', '6', '16'] },
    ]);
    expect(comparison.sameDataset).toBe(true);
    expect(comparison.curves.map((c) => c.epochs.length)).toEqual([2, 2, 2]);
  }, 240_000);

  it('names the settings that differ in words, layers whole, and says when losses are of different kinds', async () => {
    const { api, services, dataDir } = open();
    const datasetId = createFashionSubset(services.db, dataDir, 64, 16);
    const conv = presetConfig('small-conv', [28, 28, 1])!;
    // Stored, not trained: a comparison reads settings, and these two need no curves.
    const a = insertRun(services.db, { datasetId, name: 'conv, MSE', config: JSON.stringify(conv) });
    const b = insertRun(services.db, {
      datasetId,
      name: 'dense, cross-entropy',
      config: JSON.stringify({
        ...tiny(),
        loss: 'bce',
        corruption: { type: 'gaussian', level: 0.3 },
        model: {
          ...tiny().model,
          encoder: [
            { type: 'dense', units: 128, activation: 'elu' },
            { type: 'dropout', rate: 0.2 },
          ],
        },
      }),
    });
    const comparison = await call(api, 'runs:compare', { runIds: [a, b] });
    const row = (label: string) => comparison.differences.find((d) => d.label === label)?.values;
    expect(row('Loss')).toEqual(['MSE', 'cross-entropy']);
    expect(row('Encoder')).toEqual([
      conv.model.encoder
        .map((l) =>
          l.type === 'conv'
            ? `conv ${l.filters} ${l.kernel}×${l.kernel}${l.stride > 1 ? ` /${l.stride}` : ''} ${l.padding}`
            : l.type,
        )
        .join(' → '),
      'dense 128 elu → dropout 0.2',
    ]);
    expect(row('Denoising')).toEqual(['off', '—']);
    expect(row('Corruption level')).toEqual(['—', '0.3']);
    // No setting is shown by its config path, and no value is cut.
    for (const d of comparison.differences) expect(d.label).not.toMatch(/\./);
    expect(comparison.runs.map((r) => r.loss)).toEqual(['mse', 'bce']);
  });

  it('groups datasets, runs and sweeps under projects, and reopens on the last one', async () => {
    const { api, services, dataDir } = open();
    const first = createFashionSubset(services.db, dataDir, 64, 16, 'Shared subset');
    const run = await call(api, 'training:start', { datasetId: first, config: { ...tiny(), epochs: 1 } });
    expect(await services.supervisor.waitForRun(run.id)).toBe('completed');
    const initial = await call(api, 'projects:list', undefined);
    expect(initial.projects).toMatchObject([{ id: 1, name: 'My project', datasets: 1, runs: 1, sweeps: 0 }]);

    const created = await call(api, 'projects:create', { name: 'Faces' });
    expect(created.current).toBe(created.projects[1].id);
    expect(await call(api, 'datasets:list', undefined)).toEqual([]);
    expect(await call(api, 'runs:list', undefined)).toEqual([]);
    const faces = createFashionSubset(services.db, dataDir, 64, 16, 'Faces subset');
    expect((await call(api, 'datasets:list', undefined)).map((d) => d.id)).toEqual([faces]);
    expect((await failure(api, 'projects:create', { name: 'Faces' })).message).toMatch(
      /already a project named "Faces"/,
    );
    expect((await failure(api, 'projects:rename', { projectId: 1, name: 'Faces' })).code).toBe('conflict');
    await call(api, 'projects:rename', { projectId: created.current, name: 'Faces 2026' });

    // The choice is stored: a new session opens on the same project.
    await services.close();
    const again = open(dataDir);
    const list = await call(again.api, 'projects:list', undefined);
    expect(list.projects.find((p) => p.id === list.current)?.name).toBe('Faces 2026');
    expect((await call(again.api, 'datasets:list', undefined)).map((d) => d.name)).toEqual(['Faces subset']);
    await call(again.api, 'projects:open', { projectId: 1 });
    expect((await call(again.api, 'runs:list', undefined)).map((r) => r.id)).toEqual([run.id]);
    expect((await failure(again.api, 'projects:open', { projectId: 42 })).message).toMatch(/no project with id 42/);
  }, 120_000);

  it('refuses a sweep that cannot work, before storing any of it', async () => {
    const { api, services, dataDir } = open();
    const datasetId = createFashionSubset(services.db, dataDir, 64, 16);
    const bad = await failure(api, 'sweeps:start', {
      datasetId,
      config: tiny(),
      axes: [{ param: 'batch', values: [32, 0] }],
    });
    expect(bad.message).toMatch(/batch size must be a whole number of at least 1, not 0/);
    const twice = await failure(api, 'sweeps:start', {
      datasetId,
      config: tiny(),
      axes: [
        { param: 'lr', values: [0.1, 0.01] },
        { param: 'lr', values: [1, 2] },
      ],
    });
    expect(twice.message).toMatch(/Vary each parameter once/);
    const unpool = { ...presetConfig('conv-unpool', [28, 28, 1])!, epochs: 1 };
    const noCode = await failure(api, 'sweeps:start', {
      datasetId,
      config: unpool,
      axes: [{ param: 'latent', values: [2, 4] }],
    });
    expect(noCode.message).toMatch(/no code size to vary/);
    expect(await call(api, 'sweeps:list', undefined)).toEqual([]);
    expect(await call(api, 'runs:list', undefined)).toEqual([]);
  });

  it('labels and deletes runs, and exports one that another store imports with the same numbers', async () => {
    const { api, services, dataDir } = open();
    const datasetId = createFashionSubset(services.db, dataDir, 256, 64, 'Fashion subset');
    const run = await call(api, 'training:start', { datasetId, config: tiny(), name: 'baseline' });
    expect(await failure(api, 'runs:delete', { runId: run.id })).toMatchObject({ code: 'conflict' });
    expect(await services.supervisor.waitForRun(run.id)).toBe('completed');

    const labelled = await call(api, 'runs:update', {
      runId: run.id,
      name: 'Baseline, dense',
      notes: 'First try, 2 epochs.',
      tags: ['dense', 'baseline', 'dense'],
    });
    expect(labelled).toMatchObject({
      name: 'Baseline, dense',
      notes: 'First try, 2 epochs.',
      tags: ['dense', 'baseline'],
    });
    expect((await failure(api, 'runs:update', { runId: run.id, name: '  ' })).message).toMatch(/name cannot be empty/);

    // Export, then import into a fresh store holding the same dataset.
    const out = mkdtempSync(join(tmpdir(), 'ae-studio-export-'));
    opened.push({ services: { close: async () => undefined } as unknown as Services, dataDir: out });
    const exported = await call(api, 'runs:export', { runId: run.id, dir: out });
    expect(exported.files).toEqual(
      expect.arrayContaining([
        'run.json',
        'config.json',
        'metrics-epochs.csv',
        'metrics-batches.csv',
        'model/model.json',
        'model/weights.bin',
        'reconstructions-epoch-0002.png',
        'store/checkpoints/epoch-0002/weights.bin',
      ]),
    );
    const csv = readFileSync(join(exported.path, 'metrics-epochs.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'run_id,run_name,epoch,train_loss,test_loss,train_penalty,test_penalty,learning_rate,test_psnr,test_ssim,images_per_sec,elapsed_s',
    );
    expect(csv[1]).toMatch(/^\d+,"Baseline, dense",1,[\d.e-]+,[\d.e-]+,,,/);
    expect((await failure(api, 'runs:export', { runId: run.id, dir: out })).message).toMatch(/already exists/);

    const other = open();
    expect((await failure(other.api, 'runs:import', { dir: exported.path })).message).toMatch(
      /trained on "Fashion subset" \(320 images of 28x28, 10 classes\), which is not in this store/,
    );
    createFashionSubset(other.services.db, other.dataDir, 256, 64, 'Fashion subset');
    const imported = await call(other.api, 'runs:import', { dir: exported.path });
    expect(imported).toMatchObject({ name: 'Baseline, dense', status: 'completed', tags: ['dense', 'baseline'] });
    const [before, after] = await Promise.all([
      call(api, 'runs:get', { runId: run.id }),
      call(other.api, 'runs:get', { runId: imported.id }),
    ]);
    expect(after.epochMetrics).toEqual(before.epochMetrics);
    expect(after.batchLoss).toEqual(before.batchLoss);
    const images = { from: 'split' as const, split: 'test' as const, order: 'first' as const, count: 8 };
    const [a, b] = await Promise.all([
      call(api, 'results:reconstruct', { runId: run.id, images }),
      call(other.api, 'results:reconstruct', { runId: imported.id, images }),
    ]);
    expect(b.reconstructions).toBe(a.reconstructions);
    expect(b.items.map((i) => i.mse)).toEqual(a.items.map((i) => i.mse));
    expect((await call(other.api, 'runs:reconstructions', { runId: imported.id })).epochs).toEqual([1, 2]);

    // The same export again: it is already here, so that is said and nothing is stored, unless a copy is asked for.
    const runsBefore = (await call(other.api, 'runs:list', undefined)).length;
    expect(await failure(other.api, 'runs:import', { dir: exported.path })).toEqual({
      code: 'conflict',
      message: `This run is already here: run ${imported.id}, "Baseline, dense", with the same settings and 2 epochs trained. Import it again only to keep a second copy.`,
    });
    expect((await call(other.api, 'runs:list', undefined)).length).toBe(runsBefore);
    const copy = await call(other.api, 'runs:import', { dir: exported.path, again: true });
    expect(copy).toMatchObject({ name: 'Baseline, dense (copy)', status: 'completed' });
    expect(copy.id).not.toBe(imported.id);

    // Not an export, or a damaged one: said in words, nothing stored.
    const notExport = join(out, 'not-an-export');
    mkdirSync(notExport);
    expect((await failure(other.api, 'runs:import', { dir: notExport })).message).toMatch(/it has no run\.json/);
    writeFileSync(join(notExport, 'run.json'), '{"format": "something else"}');
    expect((await failure(other.api, 'runs:import', { dir: notExport })).message).toMatch(
      /not an Autoencoder Studio run/,
    );
    expect((await call(other.api, 'runs:list', undefined)).length).toBe(2);

    // A crafted export: paths that climb out of the run folder, or a link inside it, refuse the whole import.
    const crafted = (name: string, change: (manifest: { checkpoints: Array<{ path: string }> }) => void) => {
      const dir = join(out, name);
      cpSync(exported.path, dir, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
      change(manifest);
      writeFileSync(join(dir, 'run.json'), JSON.stringify(manifest));
      return dir;
    };
    for (const [name, path] of [
      ['climbs', '../../../../etc'],
      ['absolute', '/etc/passwd'],
      ['drive', 'C:\\Windows\\System32'],
      ['hidden-climb', 'checkpoints/../../..'],
    ]) {
      const dir = crafted(name, (m) => (m.checkpoints[0].path = path));
      expect((await failure(other.api, 'runs:import', { dir })).message).toMatch(
        /run\.json is not a valid exported run: checkpoints\.0\.path is not a plain relative path inside the export/,
      );
    }
    const linked = crafted('linked', () => {});
    rmSync(join(linked, 'store', 'checkpoints', 'epoch-0001'), { recursive: true });
    symlinkSync(tmpdir(), join(linked, 'store', 'checkpoints', 'epoch-0001'));
    expect((await failure(other.api, 'runs:import', { dir: linked })).message).toMatch(
      /store\/checkpoints\/epoch-0001, which is a symbolic link; an exported run holds only plain files/,
    );
    expect((await call(other.api, 'runs:list', undefined)).length).toBe(2);
    expect(readdirSync(join(other.dataDir, 'runs')).filter((n) => n.includes('.partial-'))).toEqual([]);

    // A crafted export that would fill the disk: an 8 GB sparse file takes a few KB in the export, and copying it
    // would write 8 GB. One the manifest does not list is not imported at all; a listed file of the wrong size (the
    // weights model.json names decide it) refuses the whole import.
    const padded = crafted('padded', () => {});
    writeFileSync(join(padded, 'store', 'checkpoints', 'epoch-0001', 'extra.bin'), '');
    truncateSync(join(padded, 'store', 'checkpoints', 'epoch-0001', 'extra.bin'), 8e9);
    const kept = await call(other.api, 'runs:import', { dir: padded, again: true });
    const keptDir = dataLayout(other.dataDir).runDir(kept.id);
    expect(readdirSync(join(keptDir, 'checkpoints', 'epoch-0001')).sort()).toEqual([
      'model.json',
      'optimizer.bin',
      'optimizer.json',
      'state.json',
      'weights.bin',
    ]);
    await call(other.api, 'runs:delete', { runId: kept.id });
    const swollen = crafted('swollen', () => {});
    truncateSync(join(swollen, 'store', 'checkpoints', 'epoch-0001', 'weights.bin'), 8e9);
    expect(await failure(other.api, 'runs:import', { dir: swollen, again: true })).toEqual({
      code: 'invalid_argument',
      message: expect.stringMatching(
        /^store\/checkpoints\/epoch-0001\/weights\.bin is 8\.0 GB, but the weights model\.json names make it \d+(\.\d)? [kM]B\. The export was changed or damaged; nothing was imported\.$/,
      ),
    });
    expect((await call(other.api, 'runs:list', undefined)).length).toBe(2);
    expect(readdirSync(join(other.dataDir, 'runs')).filter((n) => n.includes('.partial-'))).toEqual([]);

    // Deleting removes the run's rows and files, and nothing else.
    const runDir = dataLayout(dataDir).runDir(run.id);
    expect(existsSync(runDir)).toBe(true);
    await call(api, 'runs:delete', { runId: run.id });
    expect(existsSync(runDir)).toBe(false);
    expect(await call(api, 'runs:list', undefined)).toEqual([]);
    expect((await failure(api, 'runs:get', { runId: run.id })).code).toBe('not_found');
    expect((await call(other.api, 'runs:list', undefined)).length).toBe(2);
  }, 180_000);
});
