import { requireNativeAddon } from '../app/paths';

/** The libjpeg-turbo addon (src-main/datasets/native/jpeg_decode.c); jpeg-worker.ts decodes with it. */
export interface NativeJpeg {
  /**
   * Decodes to RGB at the smallest scale M/8 (M = 1..8) no smaller than minSize on either side, or at full size.
   * Throws libjpeg's message for a damaged file, including one libjpeg would only warn about.
   */
  decodeJpeg(
    bytes: Uint8Array,
    minSize: number,
  ): { pixels: Uint8Array; width: number; height: number; fullWidth: number; fullHeight: number };
}

/** The addon, or undefined where it was not built (`npm run build:native`) or cannot load. */
export function loadNativeJpeg(): NativeJpeg | undefined {
  try {
    return requireNativeAddon<NativeJpeg>(
      'datasets/native/ae_images',
      'the native JPEG decoder',
      'the native JPEG decoder is not built (needs libjpeg-turbo; run `npm run build:native`)',
    );
  } catch {
    return undefined;
  }
}
