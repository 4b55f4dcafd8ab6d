import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src-main/app/random';
import { augmentBatch } from '../../../src-main/trainer/augment';
import type { ImageShape } from '../../../src-main/models/model-plan';
import { loadFashionSample } from '../../helpers/fashion-subset';

/**
 * Augmentation changes training images as it says: a flip is a mirror image, a rotation of 90° is the image turned by
 * a quarter, a shift moves it, jitter moves brightness and contrast; and the same seed gives the same batch.
 */
const shape: ImageShape = [28, 28, 1];
const size = 28 * 28;
const sample = loadFashionSample();
const images = (n: number) => Float32Array.from(sample.pixels.subarray(0, n * size), (v) => v / 255);
const at = (image: Float32Array, y: number, x: number) => image[y * 28 + x];
/** A "random" source that always answers the same: it picks the strongest setting each way. */
const always = (v: number) => () => v;

describe('augmentation', () => {
  it('flips left to right', () => {
    const batch = images(1);
    const original = batch.slice();
    augmentBatch(batch, 1, shape, { flip: true }, always(0), new Float32Array(size));
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) expect(at(batch, y, x)).toBe(at(original, y, 27 - x));
  });

  it('rotates about the centre: 90° turns the image a quarter', () => {
    const batch = images(1);
    const original = batch.slice();
    // random() = 1 draws the largest rotation, +90°.
    augmentBatch(batch, 1, shape, { rotate: 90 }, always(1 - 1e-12), new Float32Array(size));
    let worst = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) worst = Math.max(worst, Math.abs(at(batch, y, x) - at(original, 27 - x, y)));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('shifts by whole pixels, extending the border', () => {
    const batch = images(1);
    const original = batch.slice();
    // crop 0.25 × 28 = 7 pixels; random() ≈ 1 shifts right and down by 7.
    augmentBatch(batch, 1, shape, { crop: 0.25 }, always(1 - 1e-12), new Float32Array(size));
    for (let y = 7; y < 28; y++) {
      for (let x = 7; x < 28; x++) expect(at(batch, y, x)).toBeCloseTo(at(original, y - 7, x - 7), 4);
    }
    expect(at(batch, 3, 3)).toBeCloseTo(at(original, 0, 0), 4);
  });

  it('changes brightness and contrast within the range, and stays in [0, 1]', () => {
    const batch = images(4);
    const before = batch.reduce((a, b) => a + b, 0) / batch.length;
    augmentBatch(batch, 4, shape, { jitter: 0.3 }, always(1 - 1e-12), new Float32Array(size));
    const after = batch.reduce((a, b) => a + b, 0) / batch.length;
    expect(after).toBeGreaterThan(before + 0.1);
    expect(batch.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('gives the same batch from the same seed, and another from another seed', () => {
    const augment = { flip: true, crop: 0.1, rotate: 10, jitter: 0.2 };
    const run = (seed: number) => {
      const batch = images(16);
      augmentBatch(batch, 16, shape, augment, seededRandom(seed), new Float32Array(size));
      return batch;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7)).not.toEqual(images(16));
  });
});
