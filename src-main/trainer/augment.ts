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

/**
 * Output pixel (x, y) reads the input at the inverse map of flip, then rotation about the centre, then shift. The
 * inner loop is the hot part of an augmented batch (a 64×64×3 photo is 12,288 bilinear reads): no calls in it.
 */
function transform(
  image: Float32Array,
  [height, width, channels]: ImageShape,
  { flip, shiftX, shiftY, angle }: { flip: boolean; shiftX: number; shiftY: number; angle: number },
  scratch: Float32Array,
): void {
  if (width < 2 || height < 2) return;
  const out = scratch.subarray(0, image.length);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const [maxX, maxY] = [width - 1, height - 1];
  let o = 0;
  for (let y = 0; y < height; y++) {
    // Undo the shift, then the rotation (then the flip, below); both source coordinates move linearly along a row.
    const dy = y - shiftY - cy;
    const dx0 = -shiftX - cx;
    const rowX = cos * dx0 + sin * dy + cx;
    const rowY = -sin * dx0 + cos * dy + cy;
    for (let x = 0; x < width; x++) {
      let sx = rowX + cos * x;
      let sy = rowY - sin * x;
      if (flip) sx = maxX - sx;
      sx = sx < 0 ? 0 : sx > maxX ? maxX : sx;
      sy = sy < 0 ? 0 : sy > maxY ? maxY : sy;
      let x0 = sx | 0;
      let y0 = sy | 0;
      if (x0 === maxX) x0--;
      if (y0 === maxY) y0--;
      const ax = sx - x0;
      const ay = sy - y0;
      const w00 = (1 - ax) * (1 - ay);
      const w01 = ax * (1 - ay);
      const w10 = (1 - ax) * ay;
      const w11 = ax * ay;
      const top = (y0 * width + x0) * channels;
      const bottom = top + width * channels;
      for (let c = 0; c < channels; c++) {
        out[o++] =
          image[top + c] * w00 +
          image[top + channels + c] * w01 +
          image[bottom + c] * w10 +
          image[bottom + channels + c] * w11;
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
