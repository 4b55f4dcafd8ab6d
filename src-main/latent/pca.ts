import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** A fitted principal component analysis of row vectors. */
export interface Pca {
  dims: number;
  mean: Float64Array;
  /** k unit vectors of length `dims`, back to back, by decreasing variance. */
  components: Float64Array;
  k: number;
  /** Variance along each component. */
  variance: Float64Array;
  /** Each component's share of the total variance (0..1). */
  explainedRatio: Float64Array;
}

/**
 * Fits PCA with k components to n rows of d numbers: the covariance matrix (accumulated in double precision) and its
 * eigen-decomposition by ml-matrix. Cost O(n·d² + d³), so fine for latent codes and for images up to ~1,000 pixels.
 */
export function fitPca(data: ArrayLike<number>, n: number, d: number, k: number): Pca {
  if (n < 1 || d < 1 || data.length !== n * d) throw new Error(`PCA needs ${n}x${d} numbers, got ${data.length}.`);
  const components = Math.min(k, d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;

  // Upper triangle of XᵀX over centred rows, then mirrored.
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const va = row[a];
      if (va === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) cov[base + b] += va * row[b];
    }
  }
  const scale = 1 / Math.max(1, n - 1);
  const matrix = new Matrix(d, d);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] * scale;
      matrix.set(a, b, v);
      matrix.set(b, a, v);
    }
  }
  const eig = new EigenvalueDecomposition(matrix, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((x, y) => values[y] - values[x]);
  const total = values.reduce((sum, v) => sum + Math.max(0, v), 0);
  const out: Pca = {
    dims: d,
    mean,
    k: components,
    components: new Float64Array(components * d),
    variance: new Float64Array(components),
    explainedRatio: new Float64Array(components),
  };
  for (let c = 0; c < components; c++) {
    const col = order[c];
    const v = Math.max(0, values[col]);
    out.variance[c] = v;
    out.explainedRatio[c] = total > 0 ? v / total : 0;
    // A fixed sign (largest entry positive) makes results repeatable across runs and libraries.
    let largest = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors.get(j, col)) > Math.abs(vectors.get(largest, col))) largest = j;
    const sign = vectors.get(largest, col) < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) out.components[c * d + j] = sign * vectors.get(j, col);
  }
  return out;
}

/** Projects n rows onto the fitted components: n x k coordinates. */
export function pcaTransform(pca: Pca, data: ArrayLike<number>, n: number): Float64Array {
  const { dims: d, k } = pca;
  const out = new Float64Array(n * k);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - pca.mean[j];
    for (let c = 0; c < k; c++) {
      let s = 0;
      const base = c * d;
      for (let j = 0; j < d; j++) s += row[j] * pca.components[base + j];
      out[i * k + c] = s;
    }
  }
  return out;
}

/** Maps k coordinates per row back to the original space: mean + Σ coordinate × component. */
export function pcaInverse(pca: Pca, coords: ArrayLike<number>, n: number): Float64Array {
  const { dims: d, k } = pca;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    out.set(pca.mean, base);
    for (let c = 0; c < k; c++) {
      const w = coords[i * k + c];
      for (let j = 0; j < d; j++) out[base + j] += w * pca.components[c * d + j];
    }
  }
  return out;
}
