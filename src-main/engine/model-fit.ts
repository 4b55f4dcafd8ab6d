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

/**
 * Whether training a batch fits in `limitBytes` of memory (`where`: "the CPU engine's 4 GB WebAssembly memory"):
 * every layer's output for the whole batch is kept for the backward pass and gets a gradient of its size, and each
 * weight has a gradient and Adam's two moments beside it. An estimate, on the generous side, to refuse up front what
 * would otherwise fail deep in the engine ("Invalid typed array length"). Null when it fits, else what to lower.
 */
export function memoryFitProblem(
  summary: ModelSummary,
  batchSize: number,
  limitBytes: number,
  where: string,
): string | null {
  let perImage = 0;
  let largest = { bytes: 0, name: '' };
  for (const layer of summary.layers) {
    const bytes = layer.outputShape.reduce((a, b) => a * b, 1) * 4;
    perImage += bytes * 2;
    if (bytes > largest.bytes) largest = { bytes, name: layer.name };
  }
  const weights = summary.layers.reduce((sum, layer) => sum + layer.params, 0) * 4 * 4;
  const needed = perImage * batchSize + weights;
  if (needed <= limitBytes) return null;
  if (weights >= limitBytes) {
    return `This model's weights, with their gradients and optimizer state, need about ${size(weights)}, more than ${where}. Use a smaller model.`;
  }
  const fits = Math.max(1, Math.floor((limitBytes - weights) / perImage));
  return (
    `Training with a batch of ${batchSize} needs about ${size(needed)} of memory (layer ${largest.name}'s output alone is ` +
    `${size(largest.bytes * batchSize)}), more than ${where}. Lower the batch size to ${fits} or less, or use fewer ` +
    'filters in that layer.'
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : megabytes(bytes);
}
