import { psnrOf } from '../api/units';
import { imageQuality } from '../app/image-quality';
import type { ImageShape } from '../models/model-plan';
import { evaluationBatch } from '../trainer/trainer-core';
import type { PixelSource, Trainer } from '../trainer/trainer';

/**
 * A finished run's image quality on its test split: the mean PSNR and SSIM of every test image's reconstruction,
 * beside the loss it was trained on. Measured once, when training ends (a pass over the test split, like one test
 * loss), on the 8-bit reconstructions the galleries show; PSNR comes from each image's exact MSE. Null without test
 * images; SSIM null for images under SSIM's 11-pixel window.
 */
export async function measureTestQuality(
  trainer: Trainer,
  test: PixelSource,
  shape: ImageShape,
  between: () => Promise<void>,
): Promise<{ psnr: number; ssim: number | null } | null> {
  if (test.count === 0) return null;
  const size = shape[0] * shape[1] * shape[2];
  const clean = new Float32Array(evaluationBatch * size);
  let psnrSum = 0;
  let ssimSum: number | null = 0;
  for (let start = 0; start < test.count; start += evaluationBatch) {
    await between();
    const positions = Int32Array.from({ length: Math.min(evaluationBatch, test.count - start) }, (_, i) => start + i);
    const n = test.fill(positions, 0, positions.length, clean);
    const { pixels, mse } = await trainer.reconstruct(positions);
    const outputs = Float32Array.from(pixels, (v) => v / 255);
    const { ssim } = imageQuality(clean.subarray(0, n * size), outputs, n, shape);
    for (let i = 0; i < n; i++) psnrSum += psnrOf(mse[i]);
    ssimSum = ssim && ssimSum !== null ? ssimSum + ssim.reduce((a, b) => a + b, 0) : null;
  }
  return { psnr: psnrSum / test.count, ssim: ssimSum === null ? null : ssimSum / test.count };
}
