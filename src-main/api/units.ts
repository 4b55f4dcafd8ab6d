/** Sizes in words, the same in main's messages, the CLI and the renderer: "3.2 MB", "1.5 GB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} bytes`;
}

/** A count with its noun, singular for one: "1 class", "10 classes", "1,024 images". */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}

/** A perfect copy's PSNR is infinite; it is reported as this many dB (no reconstruction gets near). */
export const psnrCap = 100;

/**
 * Peak signal-to-noise ratio in dB of a reconstruction with this mean squared error on pixels in [0, 1]:
 * 10 · log10(1 / MSE), as scikit-image's peak_signal_noise_ratio with data_range 1, capped at psnrCap.
 */
export function psnrOf(mse: number): number {
  return mse > 0 ? Math.min(psnrCap, 10 * Math.log10(1 / mse)) : psnrCap;
}
