import { seededRandom } from '../app/random';
import type { TsneSettings } from '../api/contract';
import { fitPca, pcaTransform } from './pca';
import type { NativeTsne } from '../engine/native-addon';

/** t-SNE's settings plus the Barnes-Hut accuracy: cells that look smaller than theta act as one point (0.5). */
export interface TsneParams extends Omit<TsneSettings, 'method'> {
  theta: number;
}

/** Iterations with early exaggeration, as in scikit-learn. */
const exaggerationIterations = 250;

export interface TsneProgress {
  phase: 'neighbours' | 'affinities' | 'optimising';
  done: number;
  total: number;
}

const phases = [null, 'neighbours', 'affinities', 'optimising'] as const;

/** The starting layout, scaled to a tiny spread (std 1e-4 along x) as scikit-learn does so early steps are gentle. */
function initialLayout(data: Float32Array, n: number, d: number, params: TsneParams): Float64Array {
  let y: Float64Array;
  if (params.init === 'pca') {
    y = pcaTransform(fitPca(data, n, d, 2), data, n);
    if (y.length < 2 * n) y = Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? y[i / 2] : 0));
  } else {
    const random = seededRandom(params.seed);
    y = Float64Array.from({ length: 2 * n }, () => {
      // Box-Muller: a standard normal from two uniforms.
      const u = Math.max(random(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    });
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[2 * i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (y[2 * i] - mean) ** 2;
  const std = Math.sqrt(variance / n) || 1;
  for (let i = 0; i < y.length; i++) y[i] = (y[i] / std) * 1e-4;
  return y;
}

/** Says in words what is wrong with t-SNE parameters for n points, or null. */
export function tsneProblem(params: TsneParams, n: number): string | null {
  if (n < 3) return `t-SNE needs at least 3 images; this embedding has ${n}.`;
  if (params.perplexity >= n) {
    return `The perplexity (${params.perplexity}) must be smaller than the number of images (${n}).`;
  }
  return null;
}

/**
 * Lays n points of d dimensions out in 2-D with Barnes-Hut t-SNE. Resolves with n x 2 coordinates, or null when the
 * signal aborts it. Progress is polled from the native thread, so the caller's event loop stays free.
 */
export async function runTsne(
  native: NativeTsne,
  data: Float32Array,
  n: number,
  d: number,
  params: TsneParams,
  options: { onProgress?: (progress: TsneProgress) => void; signal?: AbortSignal; threads?: number } = {},
): Promise<Float64Array | null> {
  const problem = tsneProblem(params, n);
  if (problem) throw new Error(problem);
  const y = initialLayout(data, n, d, params);
  const learningRate = params.learningRate === 'auto' ? Math.max(n / params.exaggeration / 4, 50) : params.learningRate;
  const control = new Int32Array(3);
  const abort = () => (control[0] = 1);
  options.signal?.addEventListener('abort', abort);
  if (options.signal?.aborted) abort();
  const report = () => {
    const phase = phases[control[2]];
    if (!phase || !options.onProgress) return;
    options.onProgress({ phase, done: control[1], total: phase === 'optimising' ? params.iterations : n });
  };
  const timer = setInterval(report, 200);
  try {
    const finished = await native(
      data,
      y,
      Float64Array.of(
        n,
        d,
        params.perplexity,
        params.iterations,
        learningRate,
        params.exaggeration,
        Math.min(exaggerationIterations, params.iterations),
        params.theta,
        options.threads ?? 0,
      ),
      control,
    );
    report();
    return finished ? y : null;
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', abort);
  }
}
