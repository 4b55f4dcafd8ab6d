import type * as tfType from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { seededNormal } from '../app/random';

/** A linear baseline: images ≈ mean + components · coefficients. */
export interface PcaBasis {
  /** d */
  mean: Float32Array;
  /** k × d, row-major, orthonormal rows, by decreasing variance. */
  components: Float32Array;
  k: number;
  d: number;
  /** Share of the fitted images' variance the k components keep. */
  explainedVariance: number;
}

/** The eigenvectors of a small symmetric matrix, by decreasing eigenvalue. */
function sortedEigen(gram: Float32Array, l: number): { values: number[]; vectors: Matrix } {
  const rows = Array.from({ length: l }, (_, i) => Array.from(gram.subarray(i * l, (i + 1) * l)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((_, i) => i).sort((a, b) => evd.realEigenvalues[b] - evd.realEigenvalues[a]);
  const all = evd.eigenvectorMatrix;
  const vectors = new Matrix(l, l);
  order.forEach((from, to) => vectors.setColumn(to, all.getColumn(from)));
  return { values: order.map((i) => evd.realEigenvalues[i]), vectors };
}

/**
 * An orthonormal basis of Y's columns (n × l), through the eigenvectors of the small Gram matrix YᵀY: the n-sized
 * work is two matrix products the engine runs with BLAS; directions with no energy are dropped.
 */
async function orthonormalise(tf: typeof tfType, y: tfType.Tensor2D): Promise<tfType.Tensor2D> {
  const l = y.shape[1];
  const gram = tf.tidy(() => tf.matMul(y, y, true, false));
  const { values, vectors } = sortedEigen((await gram.data()) as Float32Array, l);
  gram.dispose();
  const keep = values.filter((v) => v > values[0] * 1e-10).length;
  const scale = new Float32Array(l * keep);
  for (let i = 0; i < l; i++)
    for (let j = 0; j < keep; j++) scale[i * keep + j] = vectors.get(i, j) / Math.sqrt(values[j]);
  return tf.tidy(() => tf.matMul(y, tf.tensor2d(scale, [l, keep])) as tfType.Tensor2D);
}

/**
 * PCA by randomized SVD (Halko, Martinsson & Tropp 2011, as scikit-learn's `svd_solver="randomized"`): a random
 * projection refined by power iterations finds the top-k subspace without ever forming the d × d covariance, which
 * for 64x64 RGB images would be 600 MB. `rows` is n × d, pixels in 0..1. (Latent codes are narrow: the maps use the
 * exact covariance PCA in latent/pca.ts.)
 */
export async function fitRandomizedPca(
  tf: typeof tfType,
  rows: Float32Array,
  n: number,
  d: number,
  k: number,
  seed = 1,
  /** Told before each pass; may wait (to let a cancel in), and may throw to stop the fit. */
  onStep: (done: number, total: number) => void | Promise<void> = () => {},
): Promise<PcaBasis> {
  const kept = Math.min(k, n, d);
  const l = Math.min(kept + 10, n, d);
  const powerIterations = 4;
  // A scope instead of tf.tidy, which cannot wait: values are read back asynchronously (a GPU engine cannot read them
  // synchronously), and everything made here is freed at the end.
  tf.engine().startScope();
  try {
    await onStep(0, powerIterations + 2);
    const data = tf.tensor2d(rows, [n, d]);
    const meanT = tf.mean(data, 0);
    const x = tf.sub(data, meanT) as tfType.Tensor2D;
    let q = await orthonormalise(
      tf,
      tf.matMul(x, tf.tensor2d(Float32Array.from({ length: d * l }, seededNormal(seed)), [d, l])),
    );
    for (let i = 0; i < powerIterations; i++) {
      await onStep(i + 1, powerIterations + 2);
      const z = await orthonormalise(tf, tf.matMul(x, q, true, false));
      q = await orthonormalise(tf, tf.matMul(x, z));
    }
    await onStep(powerIterations + 1, powerIterations + 2);
    // B = Qᵀ X is small (l × d); its right singular vectors are the principal axes.
    const b = tf.matMul(q, x, true, false);
    const lb = b.shape[0];
    const { values, vectors } = sortedEigen((await tf.matMul(b, b, false, true).data()) as Float32Array, lb);
    const take = Math.min(kept, values.filter((v) => v > 0).length);
    const u = new Float32Array(lb * take);
    for (let i = 0; i < lb; i++)
      for (let j = 0; j < take; j++) u[i * take + j] = vectors.get(i, j) / Math.sqrt(values[j]);
    const components = tf.matMul(tf.tensor2d(u, [lb, take]), b, true, false);
    const totalVariance = (await tf.sum(tf.square(x)).data())[0];
    const keptVariance = values.slice(0, take).reduce((a, v) => a + v, 0);
    return {
      mean: (await meanT.data()) as Float32Array,
      components: (await components.data()) as Float32Array,
      k: take,
      d,
      explainedVariance: totalVariance > 0 ? Math.min(1, keptVariance / totalVariance) : 0,
    };
  } finally {
    tf.engine().endScope();
  }
}

/** Each image projected on the basis and mapped back: the best the k components can do for it. */
export async function pcaReconstruct(
  tf: typeof tfType,
  basis: PcaBasis,
  images: Float32Array,
  n: number,
): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const meanT = tf.tensor1d(basis.mean);
    const v = tf.tensor2d(basis.components, [basis.k, basis.d]);
    const x = tf.sub(tf.tensor2d(images, [n, basis.d]), meanT);
    const coefficients = tf.matMul(x, v, false, true);
    return tf.add(tf.matMul(coefficients, v), meanT);
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}
