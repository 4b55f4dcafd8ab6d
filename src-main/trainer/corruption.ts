import type { Corruption } from '../api/contract';
import type { ImageShape } from '../models/model-plan';

/**
 * Input corruptions for denoising autoencoders (seeds 000–003), applied in place to a batch of float images in 0..1
 * (NHWC, back to back). `random` is seeded per batch, so a resumed run corrupts exactly as an unbroken one would.
 */
export function corruptBatch(
  batch: Float32Array,
  count: number,
  shape: ImageShape,
  corruption: Corruption,
  random: () => number,
): void {
  const [height, width, channels] = shape;
  const size = height * width * channels;
  for (let n = 0; n < count; n++) {
    const image = batch.subarray(n * size, (n + 1) * size);
    switch (corruption.type) {
      case 'gaussian':
        addGaussian(image, corruption.level, random);
        break;
      case 'saltPepper':
        saltAndPepper(image, shape, corruption.level, random);
        break;
      case 'occlusion':
        occlude(image, shape, corruption.level, random);
        break;
      case 'gaussianOcclusion':
        addGaussian(image, corruption.level, random);
        occlude(image, shape, 0.25, random);
        break;
      case 'blur':
        gaussianBlur(image, shape, corruption.level);
        break;
      case 'warp':
        sineWarp(image, shape, corruption.level);
        break;
    }
  }
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function addGaussian(image: Float32Array, sigma: number, random: () => number): void {
  for (let i = 0; i < image.length; i++) image[i] = clamp01(image[i] + sigma * normal(random));
}

/** Each pixel (all its channels) becomes black or white with probability p. */
function saltAndPepper(
  image: Float32Array,
  [height, width, channels]: ImageShape,
  p: number,
  random: () => number,
): void {
  for (let px = 0; px < height * width; px++) {
    if (random() >= p) continue;
    const value = random() < 0.5 ? 0 : 1;
    image.fill(value, px * channels, (px + 1) * channels);
  }
}

/** A black square whose side is `fraction` of the image's smaller side, at a random place. */
function occlude(
  image: Float32Array,
  [height, width, channels]: ImageShape,
  fraction: number,
  random: () => number,
): void {
  const side = Math.round(fraction * Math.min(height, width));
  if (side <= 0) return;
  const top = Math.floor(random() * (height - side + 1));
  const left = Math.floor(random() * (width - side + 1));
  for (let y = top; y < top + side; y++)
    image.fill(0, (y * width + left) * channels, (y * width + left + side) * channels);
}

/** Separable Gaussian blur with standard deviation sigma (pixels), edges repeated. */
function gaussianBlur(image: Float32Array, [height, width, channels]: ImageShape, sigma: number): void {
  if (sigma <= 0) return;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Float32Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const pass = (from: Float32Array, to: Float32Array, horizontal: boolean) => {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let k = -radius; k <= radius; k++) {
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
            sum += kernel[k + radius] * from[(yy * width + xx) * channels + c];
          }
          to[(y * width + x) * channels + c] = sum;
        }
  };
  const temp = new Float32Array(image.length);
  pass(image, temp, true);
  pass(temp, image, false);
}

/**
 * Seed 000's vertical sine-wave warp: row i is shifted left by trunc(amplitude · sin(π·i/20)) pixels; pixels shifted in
 * from outside the image are black.
 */
function sineWarp(image: Float32Array, [height, width, channels]: ImageShape, amplitude: number): void {
  const row = new Float32Array(width * channels);
  for (let y = 0; y < height; y++) {
    const offset = Math.trunc(amplitude * Math.sin((Math.PI * y) / 20));
    if (offset === 0) continue;
    row.set(image.subarray(y * width * channels, (y + 1) * width * channels));
    for (let x = 0; x < width; x++) {
      const source = x + offset;
      for (let c = 0; c < channels; c++) {
        image[(y * width + x) * channels + c] = source >= 0 && source < width ? row[source * channels + c] : 0;
      }
    }
  }
}
