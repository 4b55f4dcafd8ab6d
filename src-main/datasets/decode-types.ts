import type { ImageFit } from '../api/contract';

/**
 * What decoding an image takes and gives, shared by the decoders (libvips in image-decode.ts, the JPEG threads in
 * jpeg-worker.ts) and the resampler, none of which needs the others' code.
 */
export interface DecodeOptions {
  size: number;
  channels: 1 | 3;
  fit: ImageFit;
  /** Fills transparent pixels and 'contain' borders, e.g. '#ffffff'. */
  background: string;
}

export interface DecodedImage {
  pixels: Uint8Array;
  /** The original size as the picture is shown (after EXIF rotation). */
  width: number;
  height: number;
  contentHash: string;
  /** Which decoder read it: libjpeg-turbo or mozjpeg (WebAssembly) in a JPEG thread, else libvips. */
  decoder: 'native' | 'wasm' | 'libvips';
}
