import type * as tfType from '@tensorflow/tfjs';

/**
 * Gradients of Sum and Mean without tfjs's `ones` of the input's shape.
 *
 * tfjs writes those gradients as `dy × ones(x.shape)` (divided by the count for Mean): the ones are filled in a
 * JavaScript loop and copied to the backend, then multiplied with a general broadcast, for every batch-norm moment
 * and every loss mean. On seed 001's CAE that was a third of each CPU training step (`npm run bench:train --
 * --profile`). Here dy is divided first (a handful of values) and then tiled to the input's shape, which every
 * backend does natively. The values are the same bit for bit: multiplying by one is exact, and the division is the
 * same float division of the same numbers.
 */
export function registerLeanGradients(tf: typeof tfType): void {
  const expandedShape = (x: tfType.Tensor, axis: number | number[] | undefined) => {
    const shape = x.shape.slice();
    for (const a of tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape)) shape[a] = 1;
    return shape;
  };
  const reduced = (kernelName: 'Sum' | 'Mean'): tfType.GradConfig => ({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { axis } = attrs as unknown as { axis: number | number[] };
      const shape = expandedShape(x, axis);
      const count =
        x.size /
        Math.max(
          1,
          shape.reduce((p, d) => p * d, 1),
        );
      return {
        x: () => {
          const expanded = tf.reshape(dy as tfType.Tensor, shape);
          return tf.broadcastTo(kernelName === 'Mean' ? tf.div(expanded, count) : expanded, x.shape);
        },
      };
    },
  });
  tf.registerGradient(reduced('Sum'));
  tf.registerGradient(reduced('Mean'));
}
