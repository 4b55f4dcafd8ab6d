import type { ModelSummary } from '../api/contract';

/**
 * Whether a model trains on a GPU whose largest buffer holds `maxBufferBytes`: every layer's output for a whole batch,
 * and every weight matrix, must fit in one buffer. Null when it fits, else what is too large and what to lower, so a
 * run that cannot fit is refused before it starts instead of failing (or computing garbage) on the device.
 */
export function gpuFitProblem(summary: ModelSummary, batchSize: number, maxBufferBytes: number): string | null {
  const limit = megabytes(maxBufferBytes);
  let largest = { bytes: 0, name: '', shape: [] as number[] };
  for (const layer of summary.layers) {
    const perImage = layer.outputShape.reduce((a, b) => a * b, 1) * 4;
    if (perImage * batchSize > largest.bytes)
      largest = { bytes: perImage * batchSize, name: layer.name, shape: layer.outputShape };
    if (layer.params * 4 > maxBufferBytes) {
      return (
        `Layer ${layer.name} has ${layer.params.toLocaleString('en-US')} weights (${megabytes(layer.params * 4)}), more than ` +
        `this GPU holds in one buffer (${limit}). Make that layer smaller, or train on the CPU.`
      );
    }
  }
  if (largest.bytes <= maxBufferBytes) return null;
  const perImage = largest.bytes / batchSize;
  const fits = Math.max(1, Math.floor(maxBufferBytes / perImage));
  return (
    `A batch of ${batchSize} is too large for this GPU: layer ${largest.name}'s output (${batchSize} × ` +
    `${largest.shape.join('×')} values, ${megabytes(largest.bytes)}) exceeds its ${limit} buffer limit. ` +
    `Lower the batch size to ${fits} or less, or use fewer filters in that layer.`
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
