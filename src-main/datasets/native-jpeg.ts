import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nativeAddonPath } from '../app/paths';

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
  const path = nativeAddonPath('datasets/native/ae_images');
  if (!existsSync(path)) return undefined;
  try {
    return createRequire(import.meta.url)(path) as NativeJpeg;
  } catch {
    return undefined;
  }
}
