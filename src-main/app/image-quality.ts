import { psnrOf } from '../api/units';

/**
 * Image-quality measures beside the mean squared error, on images in [0, 1] (HWC, back to back), computed as
 * scikit-image computes them so the numbers match a notebook's:
 * - PSNR = 10 · log10(1 / MSE) in dB (skimage.metrics.peak_signal_noise_ratio, data_range 1);
 * - SSIM, the Gaussian-window index of Wang et al. 2004 (skimage.metrics.structural_similarity with
 *   gaussian_weights=True, sigma 1.5, use_sample_covariance=False, data_range 1): an 11×11 window, K1 0.01, K2 0.03,
 *   the SSIM map averaged over the pixels whose window lies inside the image, per channel, then over the channels.
 */
const sigma = 1.5;
/** skimage's truncate of 3.5 σ: a radius of 5 pixels, an 11-tap window. */
const radius = Math.floor(3.5 * sigma + 0.5);
const window = 2 * radius + 1;
const c1 = 0.01 ** 2;
const c2 = 0.03 ** 2;

/** The normalised 1-D Gaussian of scipy.ndimage (the 2-D window is its outer product). */
const weights = (() => {
  const w = Array.from({ length: window }, (_, i) => Math.exp(-0.5 * ((i - radius) / sigma) ** 2));
  const sum = w.reduce((a, b) => a + b, 0);
  return Float64Array.from(w, (v) => v / sum);
})();

/** The smallest side SSIM's window fits in. */
export const ssimMinSide = window;

/**
 * The SSIM of image `index` of `a` against the same of `b` ([height, width, channels] each); null when a side is
 * smaller than the 11-pixel window.
 */
export function ssim(
  a: Float32Array,
  b: Float32Array,
  index: number,
  shape: readonly [number, number, number],
): number | null {
  const [height, width, channels] = shape;
  if (height < window || width < window) return null;
  const base = index * height * width * channels;
  const rows = height - 2 * radius;
  const cols = width - 2 * radius;
  // Row-filtered sums of x, y, x², y², xy at the columns whose window fits, then the same down the columns.
  const across = new Float64Array(5 * height * cols);
  let total = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < cols; x++) {
        let sx = 0;
        let sy = 0;
        let sxx = 0;
        let syy = 0;
        let sxy = 0;
        for (let k = 0; k < window; k++) {
          const at = base + (y * width + x + k) * channels + c;
          const p = a[at];
          const q = b[at];
          const w = weights[k];
          sx += w * p;
          sy += w * q;
          sxx += w * p * p;
          syy += w * q * q;
          sxy += w * p * q;
        }
        const o = 5 * (y * cols + x);
        across[o] = sx;
        across[o + 1] = sy;
        across[o + 2] = sxx;
        across[o + 3] = syy;
        across[o + 4] = sxy;
      }
    }
    let sum = 0;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        let ux = 0;
        let uy = 0;
        let uxx = 0;
        let uyy = 0;
        let uxy = 0;
        for (let k = 0; k < window; k++) {
          const o = 5 * ((y + k) * cols + x);
          const w = weights[k];
          ux += w * across[o];
          uy += w * across[o + 1];
          uxx += w * across[o + 2];
          uyy += w * across[o + 3];
          uxy += w * across[o + 4];
        }
        const vx = uxx - ux * ux;
        const vy = uyy - uy * uy;
        const vxy = uxy - ux * uy;
        sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      }
    }
    total += sum / (rows * cols);
  }
  return total / channels;
}

/** Per image: MSE, PSNR and SSIM (null for images smaller than SSIM's window) of n reconstructions. */
export function imageQuality(
  clean: Float32Array,
  outputs: Float32Array,
  n: number,
  shape: readonly [number, number, number],
): { mse: Float32Array; psnr: Float32Array; ssim: Float32Array | null } {
  const size = shape[0] * shape[1] * shape[2];
  const mse = new Float32Array(n);
  const psnrs = new Float32Array(n);
  const fits = shape[0] >= window && shape[1] >= window;
  const ssims = fits ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * size; j < (i + 1) * size; j++) sum += (clean[j] - outputs[j]) ** 2;
    mse[i] = sum / size;
    psnrs[i] = psnrOf(sum / size);
    if (ssims) ssims[i] = ssim(clean, outputs, i, shape)!;
  }
  return { mse, psnr: psnrs, ssim: ssims };
}
