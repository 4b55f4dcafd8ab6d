import type { Augmentation } from '../api/contract';
import type { ImageShape } from '../models/model-plan';

/**
 * Data augmentation for small photo folders: each training image of each batch, on the fly, gets a random horizontal
 * flip, shift, small rotation and brightness/contrast change, at the strengths the run asks for. `random` is seeded
 * per batch (models/step-random.ts), so the same seed gives the same augmented batches and a resumed run continues
 * exactly as an unbroken one. Only the training batches are augmented: test losses, galleries and results see the
 * images as they are. The autoencoder reconstructs the augmented image (input and target alike).
 *
 * The geometric parts are one affine map per image, sampled bilinearly with the border pixels extended (no black
 * corners to learn), in a single pass over the image; without them an image is only flipped and/or jittered in place.
 */
export function augmentBatch(
  batch: Float32Array,
  count: number,
  shape: ImageShape,
  augment: Augmentation,
  random: () => number,
  scratch: Float32Array,
): void {
  const [height, width, channels] = shape;
  const size = height * width * channels;
  for (let n = 0; n < count; n++) {
    const image = batch.subarray(n * size, (n + 1) * size);
    // Every draw is made whatever the image, so the sequence of draws depends only on the settings.
    const flip = augment.flip ? random() < 0.5 : false;
    const shiftX = augment.crop ? (random() * 2 - 1) * augment.crop * width : 0;
    const shiftY = augment.crop ? (random() * 2 - 1) * augment.crop * height : 0;
    const angle = augment.rotate ? (((random() * 2 - 1) * augment.rotate) / 180) * Math.PI : 0;
    const brightness = augment.jitter ? (random() * 2 - 1) * augment.jitter : 0;
    const contrast = augment.jitter ? 1 + (random() * 2 - 1) * augment.jitter : 1;
    if (augment.crop || augment.rotate) {
      transform(image, shape, { flip, shiftX, shiftY, angle }, scratch);
    } else if (flip) {
      flipInPlace(image, shape);
    }
    if (augment.jitter) jitter(image, brightness, contrast);
  }
}

/** Output pixel (x, y) reads the input at the inverse map of flip, then rotation about the centre, then shift. */
function transform(
  image: Float32Array,
  [height, width, channels]: ImageShape,
  { flip, shiftX, shiftY, angle }: { flip: boolean; shiftX: number; shiftY: number; angle: number },
  scratch: Float32Array,
): void {
  const out = scratch.subarray(0, image.length);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Undo the shift, then the rotation, then the flip.
      const dx = x - shiftX - cx;
      const dy = y - shiftY - cy;
      let sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      if (flip) sx = width - 1 - sx;
      const fx = Math.min(width - 1, Math.max(0, sx));
      const fy = Math.min(height - 1, Math.max(0, sy));
      const x0 = Math.min(width - 2, Math.floor(fx));
      const y0 = Math.min(height - 2, Math.floor(fy));
      const ax = width === 1 ? 0 : fx - x0;
      const ay = height === 1 ? 0 : fy - y0;
      const x1 = width === 1 ? 0 : x0 + 1;
      const y1 = height === 1 ? 0 : y0 + 1;
      const [r0, r1] = [Math.max(0, y0) * width, y1 * width];
      const [c0, c1] = [Math.max(0, x0), x1];
      for (let c = 0; c < channels; c++) {
        const p00 = image[(r0 + c0) * channels + c];
        const p01 = image[(r0 + c1) * channels + c];
        const p10 = image[(r1 + c0) * channels + c];
        const p11 = image[(r1 + c1) * channels + c];
        out[(y * width + x) * channels + c] = (p00 * (1 - ax) + p01 * ax) * (1 - ay) + (p10 * (1 - ax) + p11 * ax) * ay;
      }
    }
  }
  image.set(out);
}

function flipInPlace(image: Float32Array, [height, width, channels]: ImageShape): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width >> 1; x++) {
      const a = (y * width + x) * channels;
      const b = (y * width + width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) [image[a + c], image[b + c]] = [image[b + c], image[a + c]];
    }
  }
}

/** Contrast about the image's mean, then brightness, clamped to [0, 1]. */
function jitter(image: Float32Array, brightness: number, contrast: number): void {
  let mean = 0;
  for (let i = 0; i < image.length; i++) mean += image[i];
  mean /= image.length;
  for (let i = 0; i < image.length; i++) {
    const v = (image[i] - mean) * contrast + mean + brightness;
    image[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** "flip,crop=0.1,rotate=10,jitter=0.2" in words for the run's settings. */
export function describeAugmentation(a: Augmentation): string {
  const parts = [
    a.flip ? 'flip' : null,
    a.crop ? `shift ±${Math.round(a.crop * 100)}%` : null,
    a.rotate ? `rotate ±${a.rotate}°` : null,
    a.jitter ? `brightness/contrast ±${a.jitter}` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}
