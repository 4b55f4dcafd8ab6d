import type { DistanceMetric } from '../api/contract';

/**
 * The k codes nearest to code number `query` (itself excluded) or to a code given outright, closest first: one linear
 * scan with a bounded insertion list, which for 60,000 codes of 64 numbers takes a few milliseconds, so no index
 * structure is needed.
 */
export function nearest(
  codes: Float32Array,
  dims: number,
  query: number | Float32Array,
  k: number,
  metric: DistanceMetric,
): Array<{ index: number; distance: number }> {
  const count = codes.length / dims;
  const q = typeof query === 'number' ? codes.subarray(query * dims, (query + 1) * dims) : query;
  const self = typeof query === 'number' ? query : -1;
  let qNorm = 0;
  for (let j = 0; j < dims; j++) qNorm += q[j] * q[j];
  qNorm = Math.sqrt(qNorm);
  const keep = Math.min(k, self >= 0 ? count - 1 : count);
  if (keep <= 0) return [];
  const best: Array<{ index: number; distance: number }> = [];
  for (let i = 0; i < count; i++) {
    if (i === self) continue;
    const base = i * dims;
    let distance = 0;
    if (metric === 'l1') {
      for (let j = 0; j < dims; j++) distance += Math.abs(codes[base + j] - q[j]);
    } else if (metric === 'l2') {
      for (let j = 0; j < dims; j++) distance += (codes[base + j] - q[j]) ** 2;
      distance = Math.sqrt(distance);
    } else {
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < dims; j++) {
        dot += codes[base + j] * q[j];
        norm += codes[base + j] ** 2;
      }
      const denominator = Math.sqrt(norm) * qNorm;
      // A zero code has no direction: call it as far as possible.
      distance = denominator > 0 ? 1 - dot / denominator : 1;
    }
    if (best.length === keep && distance >= best[keep - 1].distance) continue;
    let at = best.length === keep ? keep - 1 : best.length;
    while (at > 0 && best[at - 1].distance > distance) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = { index: i, distance };
  }
  return best;
}
