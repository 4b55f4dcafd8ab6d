import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../../src-main/host/services';
import { createApiHandlers, type ApiHandlers } from '../../../src-main/host/handlers';
import type { ApiMethods, MethodChannel, ResultsProgress, Result } from '../../../src-main/api/contract';
import { spawnNodeWorker } from '../../../src-main/worker/node-worker';
import type { SpawnWorker } from '../../../src-main/worker/protocol';
import { presetConfig } from '../../../src-main/models/presets';
import { getDataset } from '../../../src-main/store/datasets';
import { splitIndex } from '../../../src-main/store/images';
import { openPixelCache } from '../../../src-main/datasets/dataset-store';
import { fitPca } from '../../../src-main/latent/pca';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { decodeBase64 } from '../../helpers/base64';

/**
 * The results views' numbers from a real trained run, computed in the real evaluation worker through the API the app
 * uses: per-image errors against the loss definition, the PCA baseline against a direct exact computation, decoding
 * against reconstructing, and plain-word errors for requests that cannot be answered.
 */
describe('results of a trained run', () => {
  let services: Services;
  let api: ApiHandlers;
  let dataDir: string;
  let datasetId: number;
  let runId: number;
  let testLoss: number;
  /** Worker processes started so far: a cancelled request must not cost the results worker. */
  let workersStarted = 0;

  async function call<C extends MethodChannel>(channel: C, args: ApiMethods[C]['args']) {
    const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value;
  }

  async function failure<C extends MethodChannel>(channel: C, args: ApiMethods[C]['args']) {
    const result = (await api.invoke(channel, args)) as Result<ApiMethods[C]['result']>;
    if (result.ok) throw new Error(`${channel} should have failed`);
    return result.error;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ae-studio-results-'));
    const spawnWorker: SpawnWorker = () => {
      workersStarted++;
      return spawnNodeWorker();
    };
    services = openServices({ dataDir, spawnWorker, sampleDataset: false });
    api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
    datasetId = createFashionSubset(services.db, dataDir, 600, 200);
    const config = { ...presetConfig('small-dense', [28, 28, 1])!, epochs: 2, batchSize: 64, learningRate: 3e-3 };
    runId = (await call('training:start', { datasetId, config })).id;
    expect(await services.supervisor.waitForRun(runId)).toBe('completed');
    testLoss = (await call('runs:get', { runId })).epochMetrics.at(-1)!.testLoss!;
    return async () => {
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }, 120_000);

  it('measures each image as the loss does: the mean over the test split is the test loss', async () => {
    const errors = await call('results:errors', { runId, split: 'test' });
    expect(errors.count).toBe(200);
    expect(errors.epoch).toBe(2);
    expect(Math.abs(errors.meanMse - testLoss) / testLoss).toBeLessThan(1e-4);
    expect(errors.perClass.reduce((n, c) => n + c.count, 0)).toBe(200);
    expect(errors.histogram.reduce((a, b) => a + b, 0)).toBe(200);

    const gallery = await call('results:reconstruct', {
      runId,
      images: { from: 'split', split: 'test', order: 'first', count: 12 },
    });
    const originals = decodeBase64(gallery.originals);
    const outputs = decodeBase64(gallery.reconstructions);
    const size = 28 * 28;
    gallery.items.forEach((item, i) => {
      let sum = 0;
      for (let j = i * size; j < (i + 1) * size; j++) sum += ((originals[j] - outputs[j]) / 255) ** 2;
      // The bytes are rounded to 1/255; the reported error is of the unrounded output.
      expect(Math.abs(sum / size - item.mse)).toBeLessThan(2e-3);
      expect(item.split).toBe('test');
    });
    // The model learned something: better than predicting the mean image would be is not asked here, but the
    // reconstruction is far closer than a blank image.
    const blank = originals.reduce((a, p) => a + (p / 255) ** 2, 0) / originals.length;
    expect(gallery.meanMse).toBeLessThan(blank / 2);
  }, 60_000);

  it('gives PSNR and SSIM beside MSE, per image, per class and per split, and stores them when a run finishes', async () => {
    const errors = await call('results:errors', { runId, split: 'test' });
    const gallery = await call('results:reconstruct', {
      runId,
      images: { from: 'split', split: 'test', order: 'first', count: 12 },
    });
    for (const item of gallery.items) expect(item.psnr).toBeCloseTo(10 * Math.log10(1 / item.mse), 4);
    expect(gallery.items.every((item) => item.ssim !== null && item.ssim > 0 && item.ssim < 1)).toBe(true);
    const perClass = errors.perClass.reduce((sum, c) => sum + c.meanPsnr * c.count, 0) / errors.count;
    expect(perClass).toBeCloseTo(errors.meanPsnr, 4);
    expect(errors.perClass.every((c) => c.meanSsim !== null && c.meanSsim > 0)).toBe(true);
    // Measured when training ended by the run host, from its own reconstructions (8-bit for SSIM): the same numbers.
    const run = (await call('runs:get', { runId })).run;
    expect(Math.abs(run.finalTestPsnr! - errors.meanPsnr)).toBeLessThan(1e-3);
    expect(Math.abs(run.finalTestSsim! - errors.meanSsim!)).toBeLessThan(2e-3);
  }, 60_000);

  it('sorts by error over the whole split, and corrupts inputs for the denoising view', async () => {
    const errors = await call('results:errors', { runId, split: 'test' });
    const worst = await call('results:reconstruct', {
      runId,
      images: { from: 'split', split: 'test', order: 'worst', count: 5 },
    });
    const best = await call('results:reconstruct', {
      runId,
      images: { from: 'split', split: 'test', order: 'best', count: 5 },
    });
    const w = worst.items.map((i) => i.mse);
    expect(w).toEqual([...w].sort((a, b) => b - a));
    expect(w[0]).toBeGreaterThan(errors.meanMse);
    expect(best.items[0].mse).toBeLessThan(errors.meanMse);
    expect(best.items.at(-1)!.mse).toBeLessThan(w.at(-1)!);

    // The default pick takes every class in turn: ten images of ten classes are one of each, in class order.
    const stratified = await call('results:reconstruct', {
      runId,
      images: { from: 'split', split: 'test', order: 'stratified', count: 10 },
    });
    expect(stratified.items.map((i) => i.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const clean = await call('results:reconstruct', {
      runId,
      images: { from: 'images', cacheIndices: [600, 601, 602] },
    });
    const noisy = await call('results:reconstruct', {
      runId,
      images: { from: 'images', cacheIndices: [600, 601, 602] },
      corruption: { type: 'gaussian', level: 0.5 },
      seed: 3,
    });
    expect(noisy.inputs).not.toBeNull();
    expect(noisy.inputs).not.toBe(noisy.originals);
    expect(noisy.originals).toBe(clean.originals);
    expect(noisy.meanMse).toBeGreaterThan(clean.meanMse);
    const again = await call('results:reconstruct', {
      runId,
      images: { from: 'images', cacheIndices: [600, 601, 602] },
      corruption: { type: 'gaussian', level: 0.5 },
      seed: 3,
    });
    expect(again.inputs).toBe(noisy.inputs);
  }, 60_000);

  it('compares with a PCA baseline whose error matches an exact PCA computed directly', async () => {
    const k = 16;
    const result = await call('results:pca', {
      runId,
      components: k,
      images: { from: 'split', split: 'test', order: 'first', count: 8 },
    });
    expect(result.components).toBe(k);
    expect(result.fittedOn).toBe(600);

    // Exact PCA (covariance + eigen-decomposition) of the same training images, then the test images' error.
    const dataset = getDataset(services.db, datasetId)!;
    const cache = openPixelCache(dataDir, dataset);
    const train = Float64Array.from(cache.read(splitIndex(services.db, datasetId, 'train').idx), (p) => p / 255);
    const test = Float64Array.from(cache.read(splitIndex(services.db, datasetId, 'test').idx), (p) => p / 255);
    cache.close();
    const d = 784;
    const pca = fitPca(train, 600, d, k);
    let sum = 0;
    for (let i = 0; i < 200; i++) {
      const x = test.subarray(i * d, (i + 1) * d);
      const recon = Float64Array.from(pca.mean);
      for (let c = 0; c < k; c++) {
        const v = pca.components.subarray(c * d, (c + 1) * d);
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (x[j] - pca.mean[j]) * v[j];
        for (let j = 0; j < d; j++) recon[j] += dot * v[j];
      }
      for (let j = 0; j < d; j++) sum += (x[j] - recon[j]) ** 2;
    }
    const direct = sum / (200 * d);
    expect(result.test.count).toBe(200);
    expect(Math.abs(result.test.pcaMse - direct) / direct).toBeLessThan(0.01);
    const exactShare = pca.explainedRatio.reduce((a, r) => a + r, 0);
    expect(Math.abs(result.explainedVariance - exactShare)).toBeLessThan(0.01);
    // The AE side is the same measurement as the loss.
    expect(Math.abs(result.test.aeMse - testLoss) / testLoss).toBeLessThan(1e-4);
    expect(result.items.every((item) => item.pcaMse > 0 && item.mse > 0)).toBe(true);
  }, 60_000);

  it('decodes codes: an interpolation starts and ends at the two images’ reconstructions', async () => {
    const info = await call('results:model', { runId });
    expect(info.decodeBlocker).toBeNull();
    expect(info.epochs).toEqual([1, 2]);
    const path = await call('results:decode', { runId, recipe: { kind: 'interpolate', from: 600, to: 601, steps: 5 } });
    expect(path.count).toBe(5);
    expect(path.dims).toBe(info.latentDims);
    const recon = await call('results:reconstruct', { runId, images: { from: 'images', cacheIndices: [600, 601] } });
    const size = 784;
    const decoded = decodeBase64(path.images);
    const ends = decodeBase64(recon.reconstructions);
    const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(maxDiff(decoded.subarray(0, size), ends.subarray(0, size))).toBeLessThanOrEqual(1);
    expect(maxDiff(decoded.subarray(4 * size), ends.subarray(size))).toBeLessThanOrEqual(1);
    // The middle differs from both ends.
    expect(maxDiff(decoded.subarray(2 * size, 3 * size), ends.subarray(0, size))).toBeGreaterThan(10);

    const random = await call('results:decode', { runId, recipe: { kind: 'random', count: 6, seed: 4 } });
    expect(random.count).toBe(6);
    expect(random.codeStd.every((s) => s >= 0)).toBe(true);
    const sameSeed = await call('results:decode', { runId, recipe: { kind: 'random', count: 6, seed: 4 } });
    expect(sameSeed.codes).toBe(random.codes);
    const perturbed = await call('results:decode', {
      runId,
      recipe: { kind: 'perturb', cacheIndex: 600, scale: 0, count: 1, seed: 1 },
    });
    expect(maxDiff(decodeBase64(perturbed.images), ends.subarray(0, size))).toBeLessThanOrEqual(1);
  }, 60_000);

  it('shows the first layer’s weights and a layer’s activations', async () => {
    const filters = await call('results:filters', { runId });
    const config = presetConfig('small-dense', [28, 28, 1])!;
    const firstWidth = config.model.encoder.find((layer) => layer.type === 'dense')!;
    expect(filters.kind).toBe('dense');
    expect(filters.count).toBe('units' in firstWidth ? firstWidth.units : 0);
    expect(decodeBase64(filters.pixels).length).toBe(filters.count * 28 * 28);
    expect(filters.ranges.every(([lo, hi]) => lo < hi)).toBe(true);

    const info = await call('results:model', { runId });
    const latent = info.layers.find((layer) => layer.name === 'latent')!;
    const acts = await call('results:activations', { runId, layer: 'latent', cacheIndices: [600, 601] });
    expect(acts.shape).toEqual(latent.shape);
    expect(decodeBase64(acts.values).length).toBe(2 * latent.shape.reduce((a, b) => a * b, 1));
  }, 60_000);

  it('reconstructs off-distribution inputs: noise, another dataset and an image file', async () => {
    const noise = await call('results:reconstruct', { runId, images: { from: 'noise', count: 4, seed: 2 } });
    const normal = await call('results:errors', { runId, split: 'test' });
    expect(noise.items.every((item) => item.label === null)).toBe(true);
    expect(noise.meanMse).toBeGreaterThan(normal.meanMse * 1.5);

    const colourFile = join(dataDir, 'a photo.png');
    await sharp({ create: { width: 60, height: 40, channels: 3, background: '#c04020' } })
      .png()
      .toFile(colourFile);
    const file = await call('results:reconstruct', { runId, images: { from: 'file', path: colourFile } });
    expect(file.items[0].fileName).toBe(colourFile);
    expect(decodeBase64(file.originals).length).toBe(784);
    const upload = await call('results:reconstruct', {
      runId,
      images: { from: 'upload', name: 'a photo.png', data: (await sharp(colourFile).toBuffer()).toString('base64') },
    });
    expect(upload.originals).toBe(file.originals);

    const other = createFashionSubset(services.db, dataDir, 10, 10, 'Other set');
    const fromOther = await call('results:reconstruct', {
      runId,
      images: { from: 'dataset', datasetId: other, split: 'test', count: 3, seed: 1 },
    });
    expect(fromOther.items.map((item) => item.labelName.startsWith('Other set: '))).toEqual([true, true, true]);
  }, 60_000);

  it("draws a VAE's random codes from its prior, and says when a decoder cannot decode codes alone", async () => {
    const small = createFashionSubset(services.db, dataDir, 128, 32, 'Small subset');
    const train = async (preset: string) => {
      const config = { ...presetConfig(preset, [28, 28, 1])!, epochs: 1, batchSize: 32 };
      const run = await call('training:start', { datasetId: small, config });
      expect(await services.supervisor.waitForRun(run.id)).toBe('completed');
      return run.id;
    };
    const vae = await train('conv-vae');
    const vaeInfo = await call('results:model', { runId: vae });
    expect(vaeInfo.variational).toBe(true);
    const drawn = await call('results:decode', { runId: vae, recipe: { kind: 'random', count: 4000 / 16, seed: 2 } });
    const codes = new Float32Array(decodeBase64(drawn.codes).buffer.slice(0));
    const mean = codes.reduce((a, v) => a + v, 0) / codes.length;
    const variance = codes.reduce((a, v) => a + (v - mean) ** 2, 0) / codes.length;
    // N(0, 1): 4,000 numbers have a mean within ±0.1 and a variance within ±0.15 of it.
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.15);
    expect(drawn.codeStd.every((s) => s === 1)).toBe(true);

    const unpool = await train('conv-unpool');
    const unpoolInfo = await call('results:model', { runId: unpool });
    expect(unpoolInfo.decodeBlocker).toMatch(/unpools with the positions the encoder pooled from/);
    const refused = await failure('results:decode', { runId: unpool, recipe: { kind: 'random', count: 2, seed: 1 } });
    expect(refused).toMatchObject({ code: 'unsupported' });
    // Reconstructing still works: the encoder gives the positions.
    const recon = await call('results:reconstruct', {
      runId: unpool,
      images: { from: 'split', split: 'test', order: 'first', count: 3 },
    });
    expect(recon.items).toHaveLength(3);
    const filters = await call('results:filters', { runId: unpool });
    expect(filters.kind).toBe('conv');
    expect(filters.width).toBe(3);
  }, 120_000);

  it('explains what it cannot do, in words', async () => {
    expect((await failure('results:model', { runId, epoch: 9 })).message).toMatch(/no checkpoint for epoch 9.*1, 2/);
    expect((await failure('results:model', { runId: 999 })).message).toMatch(/no run with id 999/);
    expect((await failure('results:activations', { runId, layer: 'nope', cacheIndices: [0] })).message).toMatch(
      /no layer "nope"/,
    );
    expect(
      (await failure('results:reconstruct', { runId, images: { from: 'images', cacheIndices: [123456] } })).message,
    ).toMatch(/no image at position 123456/);
    expect((await failure('results:decode', { runId, recipe: { kind: 'codes', codes: [[1, 2, 3]] } })).message).toMatch(
      /codes have \d+ numbers, not 3/,
    );
    const missing = await failure('results:reconstruct', { runId, images: { from: 'file', path: '/no/such.png' } });
    expect(missing.message).toMatch(/cannot be read \(there is no such file\)/);
    // A device, a folder or a huge file is refused before it is read (reading /dev/zero once filled 22 GB).
    const fromFile = async (path: string) =>
      (await failure('results:reconstruct', { runId, images: { from: 'file', path } })).message;
    expect(await fromFile('/dev/zero')).toMatch(/The image \/dev\/zero is not a regular file/);
    expect(await fromFile(dataDir)).toMatch(/is a folder, not a file/);
    const huge = join(dataDir, 'huge.png');
    truncateSync((writeFileSync(huge, ''), huge), 300e6); // sparse: takes no disk space
    expect(await fromFile(huge)).toMatch(/huge\.png is too large \(300\.0 MB; the limit is 268\.4 MB\)/);
    const text = join(dataDir, 'notes.jpg');
    writeFileSync(text, 'not a picture');
    expect((await failure('results:reconstruct', { runId, images: { from: 'file', path: text } })).message).toMatch(
      /notes\.jpg" cannot be used: not an image/,
    );
    expect(
      (await failure('results:reconstruct', { runId, images: { from: 'noise', count: 5000, seed: 1 } })).message,
    ).toMatch(/At most 500 images/);
    // The worker is still there after the failures.
    expect((await call('results:model', { runId })).runId).toBe(runId);
  }, 60_000);

  it('reports how far long work has got, and Cancel stops it without losing anything', async () => {
    const steps: ResultsProgress[] = [];
    const unsubscribe = api.subscribe('results:progress', (step) => steps.push(step));
    try {
      // A checkpoint and a component count not asked for before, so nothing comes from the worker's caches.
      const query = {
        runId,
        epoch: 1,
        components: 9,
        images: { from: 'split', split: 'test', order: 'first', count: 4 },
      } as const;
      const comparison = await call('results:pca', query);
      const working = steps.filter((s) => !s.finished);
      expect(working.map((s) => s.what)).toEqual(
        expect.arrayContaining([
          'Reconstructing the 200 test images',
          'Fitting PCA on 600 training images',
          'Reconstructing the 200 test images with PCA',
        ]),
      );
      for (const s of working) {
        expect(s.channel).toBe('results:pca');
        expect(s.done).toBeLessThan(s.total);
      }
      // The fit reports each of its passes, and their time left once one is done.
      const fit = working.filter((s) => s.what.startsWith('Fitting PCA'));
      expect(fit.map((s) => s.done)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(fit.at(-1)!.etaMs).toBeGreaterThanOrEqual(0);
      expect(steps.at(-1)).toMatchObject({ channel: 'results:pca', finished: true });

      // Cancelled at its first report: that request fails as cancelled; one asked meanwhile is answered, by the same
      // worker process, and so is the next.
      steps.length = 0;
      const started = workersStarted;
      let cancelledId = 0;
      const cancelling = new Promise<void>((resolve) => {
        const stop = api.subscribe('results:progress', (step) => {
          if (step.finished) return;
          stop();
          cancelledId = step.requestId;
          void api.invoke('results:cancel', { requestId: step.requestId }).then(() => resolve());
        });
      });
      const cancelled = failure('results:pca', { ...query, components: 11 });
      const meanwhile = call('results:filters', { runId, epoch: 1 });
      expect(await cancelled).toMatchObject({ code: 'cancelled', message: 'Cancelled; nothing was changed.' });
      await cancelling;
      expect((await meanwhile).runId).toBe(runId);
      expect(steps.at(-1)).toMatchObject({ requestId: cancelledId, finished: true });
      const again = await call('results:pca', query);
      expect(again.test).toEqual(comparison.test);
      expect(again.items.map((i) => i.pcaMse)).toEqual(comparison.items.map((i) => i.pcaMse));
      expect(workersStarted).toBe(started);
    } finally {
      unsubscribe();
    }
  }, 120_000);

  it("answers a gallery asked for while a whole split's errors are computed before those errors", async () => {
    // The training split at epoch 1 has not been reconstructed before, so its error table is computed now.
    const ended: string[] = [];
    const errors = call('results:errors', { runId, epoch: 1, split: 'train' }).then((value) => {
      ended.push('errors');
      return value;
    });
    const gallery = call('results:reconstruct', {
      runId,
      epoch: 1,
      images: { from: 'split', split: 'test', order: 'stratified', count: 10 },
    }).then((value) => {
      ended.push('gallery');
      return value;
    });
    const [table, shown] = await Promise.all([errors, gallery]);
    expect(ended).toEqual(['gallery', 'errors']);
    expect(shown.items).toHaveLength(10);
    expect(table.count).toBe(600);
  }, 60_000);
});
