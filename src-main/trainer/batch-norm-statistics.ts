import type * as tfType from '@tensorflow/tfjs';

/** Training images the statistics are measured on: enough for stable means, a few seconds even for big models. */
export const statisticsSampleSize = 1024;

/**
 * Measures every batch-norm layer's moving mean and variance afresh, in layer order, from what reaches it when the
 * model runs in inference mode over `batchCount` batches of training images (so each layer sees the statistics
 * its predecessors now use). Why: with momentum 0.99 the moving averages trail the weights by ~100 batches, so after
 * a few epochs of a small dataset they still describe the untrained model, and in inference the network reconstructs
 * flat grey. This is the known fix ("precise BN"); it changes nothing in training, which uses each batch's own
 * statistics. Means and variances are combined batch by batch in float64 (Chan's formula), so many large batches
 * lose no precision.
 */
export async function remeasureBatchNorm(
  tf: typeof tfType,
  model: tfType.LayersModel,
  batchCount: number,
  inputBatch: (index: number) => tfType.Tensor4D,
): Promise<number> {
  const layers = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  for (const layer of layers) {
    const reaching = tf.model({ inputs: model.inputs, outputs: layer.input as tfType.SymbolicTensor });
    let count = 0;
    let mean: Float64Array | null = null;
    let m2: Float64Array | null = null;
    for (let b = 0; b < batchCount; b++) {
      const [batchMean, batchVariance, n] = tf.tidy(() => {
        const x = reaching.predict(inputBatch(b)) as tfType.Tensor;
        const axes = x.shape.slice(0, -1).map((_, i) => i);
        const moments = tf.moments(x, axes);
        return [moments.mean, moments.variance, x.size / x.shape[x.shape.length - 1]!] as const;
      });
      const [mb, vb] = [await batchMean.data(), await batchVariance.data()];
      tf.dispose([batchMean, batchVariance]);
      if (!mean || !m2) {
        mean = Float64Array.from(mb);
        m2 = Float64Array.from(vb, (v) => v * n);
        count = n;
        continue;
      }
      const total = count + n;
      for (let c = 0; c < mean.length; c++) {
        const delta = mb[c] - mean[c];
        mean[c] += (delta * n) / total;
        m2[c] += vb[c] * n + (delta * delta * count * n) / total;
      }
      count = total;
    }
    if (!mean || !m2) return 0;
    const [gamma, beta, movingMean, movingVariance] = layer.getWeights();
    const variance = Float32Array.from(m2, (v) => v / count);
    const fresh = [tf.tensor(Float32Array.from(mean), movingMean.shape), tf.tensor(variance, movingVariance.shape)];
    layer.setWeights([gamma, beta, ...fresh]);
    tf.dispose(fresh);
  }
  return layers.length;
}
