import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';

export type Fit = 'cover' | 'contain' | 'stretch';

export interface DecodeOptions {
  size: number;
  channels: 1 | 3;
  fit: Fit;
  /** Fills transparent pixels and 'contain' borders, e.g. '#ffffff'. */
  background: string;
}

export interface DecodedImage {
  pixels: Buffer;
  width: number;
  height: number;
  contentHash: string;
}

/** The formats users' photo folders hold; anything else (SVG, PDF, RAW…) is refused rather than rendered. */
const acceptedFormats = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
/** Refuses decompression bombs from their header, before any pixel is decoded (a 30000x30000 PNG is 900 MP). */
export const maxInputPixels = 50_000_000;
/** No photo is this big; refusing larger files keeps memory bounded. */
export const maxFileBytes = 256 * 1024 * 1024;

/** A reason the user can act on, for a file that is skipped. */
export class SkipImage extends Error {}

const truncation = /premature end|truncated|unexpected end|not enough data/i;
const truncatedReason = 'truncated image (the file ends too early)';

const fits = { cover: 'cover', contain: 'contain', stretch: 'fill' } as const;

/**
 * Decodes one image file by its content (not its extension), honours its EXIF orientation, flattens transparency
 * onto the background and resizes it to size x size uint8 pixels (grey or RGB).
 */
export async function decodeImageFile(path: string, options: DecodeOptions): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.size === 0) throw new SkipImage('empty file (0 bytes)');
    if (info.size > maxFileBytes)
      throw new SkipImage(`file too large (${Math.round(info.size / 1e6)} MB; the limit is ${maxFileBytes / 1e6} MB)`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof SkipImage) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SkipImage(
      code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read (permission denied)'
        : code === 'ENOENT'
          ? 'cannot be read (the file is missing or a broken link)'
          : `cannot be read (${code ?? 'error'})`,
    );
  }
  const contentHash = createHash('sha256').update(bytes).digest('hex');

  let metadata: Metadata;
  try {
    // Reading the header only: safe without a pixel limit, which is checked below with a clearer message.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (err) {
    if (truncation.test((err as Error).message)) throw new SkipImage(truncatedReason);
    throw new SkipImage('not an image (JPEG, PNG, WebP, GIF, TIFF or AVIF expected)');
  }
  if (!metadata.format || !acceptedFormats.has(metadata.format)) {
    throw new SkipImage(`unsupported format (${metadata.format ?? 'unknown'}); use JPEG, PNG, WebP, GIF, TIFF or AVIF`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxInputPixels) {
    throw new SkipImage(`too many pixels (${width}x${height}; the limit is ${maxInputPixels / 1e6} megapixels)`);
  }

  try {
    let pipeline = sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'truncated', pages: 1 })
      .rotate()
      .flatten({ background: options.background })
      .resize(options.size, options.size, { fit: fits[options.fit], background: options.background });
    pipeline = options.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixels = info.channels === options.channels ? data : toChannels(data, info.channels, options.channels);
    // EXIF rotation swaps width and height; report the size as the user sees the picture.
    const rotated = (metadata.orientation ?? 1) >= 5;
    return { pixels, width: rotated ? height : width, height: rotated ? width : height, contentHash };
  } catch (err) {
    const message = (err as Error).message;
    if (/premature end|truncated|unexpected end|not enough data/i.test(message))
      throw new SkipImage('truncated image (the file ends too early)');
    throw new SkipImage(`damaged image (${message.split('\n')[0].slice(0, 120)})`);
  }
}

/** libvips keeps an extra band in rare cases (e.g. grey + alpha); reduce to what was asked for. */
function toChannels(data: Buffer, from: number, to: 1 | 3): Buffer {
  const n = data.length / from;
  const out = Buffer.alloc(n * to);
  for (let p = 0; p < n; p++) for (let c = 0; c < to; c++) out[p * to + c] = data[p * from + Math.min(c, from - 1)];
  return out;
}
