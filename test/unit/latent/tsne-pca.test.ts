import { describe, expect, it } from 'vitest';
import { fitPca, pcaInverse, pcaTransform } from '../../../src-main/latent/pca';
import { runTsne, type TsneParams } from '../../../src-main/latent/tsne';
import { nearest } from '../../../src-main/latent/similarity';
import { loadNativeAddon } from '../../../src-main/engine/native-addon';
import { seededRandom } from '../../../src-main/app/random';

const tsne = loadNativeAddon().tsne;

/** `perCluster` points around each of `clusters` random centres in `dims` dimensions, and their cluster index. */
function clusters(clustersCount: number, perCluster: number, dims: number, spread: number, seed = 1) {
  const random = seededRandom(seed);
  const centres = Array.from({ length: clustersCount }, () => Array.from({ length: dims }, () => random() * 10));
  const n = clustersCount * perCluster;
  const data = new Float32Array(n * dims);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % clustersCount;
    for (let j = 0; j < dims; j++) data[i * dims + j] = centres[labels[i]][j] + (random() - 0.5) * spread;
  }
  return { data, labels, n };
}

/** Share of points whose 5 nearest neighbours in the layout mostly share their label. */
function knnAccuracy(layout: Float64Array, labels: Int32Array): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const found = nearest(Float32Array.from(layout), 2, i, 5, 'l2');
    const votes = new Map<number, number>();
    for (const { index } of found) votes.set(labels[index], (votes.get(labels[index]) ?? 0) + 1);
    const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

const params: TsneParams = {
  perplexity: 20,
  iterations: 500,
  learningRate: 'auto',
  exaggeration: 12,
  init: 'pca',
  theta: 0.5,
  seed: 3,
};

describe('PCA', () => {
  const { data, n } = clusters(4, 50, 12, 3);
  const pca = fitPca(data, n, 12, 12);

  it('finds orthonormal components ordered by the variance of the data along them', () => {
    const coords = pcaTransform(pca, data, n);
    for (let a = 0; a < 12; a++) {
      for (let b = 0; b < 12; b++) {
        let dot = 0;
        for (let j = 0; j < 12; j++) dot += pca.components[a * 12 + j] * pca.components[b * 12 + j];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 6);
      }
      // The reported variance is the sample variance of the coordinates along that component, computed directly.
      let sumSq = 0;
      for (let i = 0; i < n; i++) sumSq += coords[i * 12 + a] ** 2;
      expect(pca.variance[a]).toBeCloseTo(sumSq / (n - 1), 4);
      if (a > 0) expect(pca.variance[a]).toBeLessThanOrEqual(pca.variance[a - 1]);
    }
    expect(pca.explainedRatio.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
  });

  it('reconstructs the data exactly with every component, and with k components to the leftover variance', () => {
    const full = pcaInverse(pca, pcaTransform(pca, data, n), n);
    for (let i = 0; i < data.length; i++) expect(full[i]).toBeCloseTo(data[i], 3);
    const two = fitPca(data, n, 12, 2);
    const approx = pcaInverse(two, pcaTransform(two, data, n), n);
    let error = 0;
    for (let i = 0; i < data.length; i++) error += (approx[i] - data[i]) ** 2;
    const leftover = pca.variance.slice(2).reduce((x, y) => x + y, 0) * (n - 1);
    expect(error).toBeCloseTo(leftover, 1);
  });

  it('refuses data whose size does not match', () => {
    expect(() => fitPca(new Float32Array(10), 3, 4, 2)).toThrow(/3x4/);
  });
});

describe('Barnes-Hut t-SNE', () => {
  it('keeps well-separated clusters apart: every point’s 5 nearest neighbours in the map share its cluster', async () => {
    const { data, labels, n } = clusters(5, 60, 20, 2);
    const y = await runTsne(tsne, data, n, 20, params);
    expect(y).not.toBeNull();
    expect(y!.every(Number.isFinite)).toBe(true);
    expect(knnAccuracy(y!, labels)).toBe(1);
  });

  it('separates the classes of real images far better than chance', async () => {
    const { loadFashionSample } = await import('../../helpers/fashion-subset');
    const sample = loadFashionSample();
    const n = 1000;
    const pixels = Float32Array.from(sample.pixels.subarray(0, n * 784), (v) => v / 255);
    const pca = fitPca(pixels, n, 784, 30);
    const codes = Float32Array.from(pcaTransform(pca, pixels, n));
    const y = await runTsne(tsne, codes, n, 30, { ...params, perplexity: 30, iterations: 750 });
    // 10 classes: chance is 0.1.
    expect(knnAccuracy(y!, Int32Array.from(sample.labels.subarray(0, n)))).toBeGreaterThan(0.7);
  }, 60_000);

  it('gives the same layout for the same data and seed (random start)', async () => {
    const { data, n } = clusters(3, 40, 8, 4);
    const a = await runTsne(tsne, data, n, 8, { ...params, init: 'random', iterations: 300 }, { threads: 2 });
    const b = await runTsne(tsne, data, n, 8, { ...params, init: 'random', iterations: 300 }, { threads: 2 });
    const c = await runTsne(tsne, data, n, 8, { ...params, init: 'random', iterations: 300, seed: 4 }, { threads: 2 });
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Array.from(a!)).not.toEqual(Array.from(c!));
  });

  it('stops when cancelled and reports progress by phase while it runs', async () => {
    const { data, n } = clusters(4, 500, 10, 3);
    const controller = new AbortController();
    const phases = new Set<string>();
    const result = await runTsne(
      tsne,
      data,
      n,
      10,
      { ...params, iterations: 100_000 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          phases.add(p.phase);
          if (p.phase === 'optimising' && p.done > 5) controller.abort();
        },
      },
    );
    expect(result).toBeNull();
    expect(phases.has('optimising')).toBe(true);
  }, 30_000);

  it('explains parameters that cannot work, and the addon refuses mismatched arrays', async () => {
    const { data, n } = clusters(2, 5, 3, 1);
    await expect(runTsne(tsne, data, n, 3, { ...params, perplexity: 10 })).rejects.toThrow(
      /perplexity \(10\) must be smaller than the number of images \(10\)/,
    );
    await expect(runTsne(tsne, data.subarray(0, 6), 2, 3, params)).rejects.toThrow(/at least 3 images/);
    const control = new Int32Array(3);
    const good = Float64Array.of(n, 3, 2, 10, 100, 12, 5, 0.5, 1);
    expect(() => tsne(data, new Float64Array(2 * n - 2), good, control)).toThrow(/sizes or parameters/);
    expect(() =>
      tsne(Float64Array.from(data) as unknown as Float32Array, new Float64Array(2 * n), good, control),
    ).toThrow(/Float32Array/);
    expect(() => tsne(data, new Float64Array(2 * n), good.subarray(0, 5), control)).toThrow(/9 numbers/);
  });
});

describe('similarity search', () => {
  it('ranks like sorting every distance, for each metric, and never returns the query itself', () => {
    const { data, n } = clusters(3, 100, 16, 5, 7);
    const code = (i: number) => Array.from(data.subarray(i * 16, (i + 1) * 16));
    const distance = {
      l1: (a: number[], b: number[]) => a.reduce((s, v, j) => s + Math.abs(v - b[j]), 0),
      l2: (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0)),
      cosine: (a: number[], b: number[]) => {
        const dot = a.reduce((s, v, j) => s + v * b[j], 0);
        return 1 - dot / (Math.hypot(...a) * Math.hypot(...b));
      },
    };
    for (const metric of ['l1', 'l2', 'cosine'] as const) {
      const query = 42;
      const expected = Array.from({ length: n }, (_, i) => i)
        .filter((i) => i !== query)
        .map((i) => ({ index: i, distance: distance[metric](code(i), code(query)) }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, 10);
      const found = nearest(data, 16, query, 10, metric);
      expect(found.map((f) => f.index)).toEqual(expected.map((e) => e.index));
      found.forEach((f, i) => expect(f.distance).toBeCloseTo(expected[i].distance, 4));
    }
    expect(nearest(data.subarray(0, 16), 16, 0, 5, 'l2')).toEqual([]);
  });
});
