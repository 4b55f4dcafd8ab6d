import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { loadSharp } from '../app/sharp';
import { largePhotoPixels, maxFileBytes, readImageHeader, type ImageHeader } from './image-header';
import { resampleToSquare } from './resample';
import type { JpegPool } from './jpeg-pool';
import type { DecodedImage, DecodeOptions } from './decode-types';

/** The formats users' photo folders hold; anything else (SVG, PDF, RAW…) is refused rather than rendered. */
const acceptedFormats = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
const formatNames = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';
/** Refuses decompression bombs from their header, before any pixel is decoded (a 30000x30000 PNG is 900 MP). */
export const maxInputPixels = 50_000_000;

/** A reason the user can act on, for a file that is skipped. */
export class SkipImage extends Error {}

const likelyJpeg = /\.(jpe?g|jpe|jfif)$/i;
const truncation = /premature end|truncated|unexpected end|not enough data/i;

/**
 * A JPEG whose last bytes are not the end-of-image marker was cut off. Used only once decoding has failed, to name
 * the reason: libjpeg sometimes reports such a file as an "Unknown error".
 */
const endsEarly = (bytes: Buffer) =>
  bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && !(bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9);
const truncatedReason = 'truncated image (the file ends too early)';
const fits = { cover: 'cover', contain: 'contain', stretch: 'fill' } as const;

async function readImageBytes(path: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SkipImage('not a regular file (a pipe, device or socket)');
    if (info.size === 0) throw new SkipImage('empty file (0 bytes)');
    if (info.size > maxFileBytes) {
      throw new SkipImage(`file too large (${Math.round(info.size / 1e6)} MB; the limit is ${maxFileBytes / 1e6} MB)`);
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof SkipImage) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new SkipImage('cannot be read (permission denied)');
    if (code === 'ENOENT') throw new SkipImage('cannot be read (the file is missing or a broken link)');
    throw new SkipImage(`cannot be read (${code ?? 'error'})`);
  }
}

/** The header as libvips reads it, for formats the quick reader does not describe fully. */
async function libvipsHeader(bytes: Buffer, format: ImageHeader['format'] | undefined): Promise<ImageHeader> {
  // Outside the try below: a sharp that cannot load is not an image that cannot be read.
  const sharp = await loadSharp();
  let metadata;
  try {
    // Reading the header only: safe without a pixel limit, which is checked afterwards with a clearer message.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (err) {
    if (truncation.test((err as Error).message)) throw new SkipImage(truncatedReason);
    throw new SkipImage(`not an image (${formatNames} expected)`);
  }
  if (!metadata.format || !acceptedFormats.has(metadata.format)) {
    throw new SkipImage(`unsupported format (${metadata.format ?? 'unknown'}); use ${formatNames}`);
  }
  return {
    format: format ?? (metadata.format as ImageHeader['format']),
    width: metadata.width ?? 0,
    height: metadata.height ?? 0,
    bands: (metadata.channels ?? 3) - (metadata.hasAlpha ? 1 : 0) === 1 ? 1 : 3,
    hasAlpha: metadata.hasAlpha ?? false,
    orientation: metadata.orientation ?? 1,
    simple: false,
  };
}

/**
 * Decodes one image file by its content (not its extension), honours its EXIF orientation, flattens transparency
 * onto the background and resizes it to size x size uint8 pixels (grey or RGB).
 */
export async function decodeImageFile(
  path: string,
  options: DecodeOptions,
  jpegPool?: JpegPool,
): Promise<DecodedImage> {
  // Likely JPEGs go to the WebAssembly decoder threads first, which read, check and decode the file themselves;
  // anything they do not take (or fail on) is decoded by libvips below, which also names what is wrong.
  if (jpegPool && likelyJpeg.test(path)) {
    const fast = await jpegPool.decodeFile(path, options);
    if ('pixels' in fast) return fast;
  }
  return decodeImageBytes(await readImageBytes(path), options);
}

/** Decodes an image already in memory (a file dropped into the app), with the same checks as decodeImageFile. */
export async function decodeImageBytes(bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
  if (bytes.length === 0) throw new SkipImage('empty file (0 bytes)');
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  const quick = readImageHeader(bytes);
  const header = quick?.simple ? quick : await libvipsHeader(bytes, quick?.format);
  if (header.width * header.height > maxInputPixels) {
    throw new SkipImage(
      `too many pixels (${header.width}x${header.height}; the limit is ${maxInputPixels / 1e6} megapixels)`,
    );
  }
  const rotated = header.orientation >= 5;
  const [width, height] = rotated ? [header.height, header.width] : [header.width, header.height];
  const shrinkWhileDecoding = header.width * header.height >= largePhotoPixels;

  const sharp = await loadSharp();
  try {
    let pipeline = sharp(bytes, { limitInputPixels: maxInputPixels, failOn: 'truncated', pages: 1 });
    // Each libvips step costs a fixed amount per image: add only the ones this image needs.
    if (header.orientation !== 1 || !header.simple) pipeline = pipeline.rotate();
    if (header.hasAlpha) pipeline = pipeline.flatten({ background: options.background });
    // Large photos: let libvips shrink while decoding (JPEG decodes at 1/2..1/8 scale), far cheaper than decoding
    // every pixel. Small ones: decode once and resize in JS, cheaper than a second libvips pass at these sizes.
    if (shrinkWhileDecoding) {
      pipeline = pipeline.resize(options.size, options.size, {
        fit: fits[options.fit],
        background: options.background,
      });
    }
    if (options.channels === 1 && (header.bands !== 1 || !header.simple)) pipeline = pipeline.grayscale();
    if (options.channels === 3 && (header.bands !== 3 || !header.simple)) pipeline = pipeline.toColourspace('srgb');
    if (header.hasAlpha || !header.simple) pipeline = pipeline.removeAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const decoded = info.channels === options.channels ? data : toChannels(data, info.channels, options.channels);
    const pixels = shrinkWhileDecoding
      ? decoded
      : resampleToSquare(
          decoded,
          info.width,
          info.height,
          options.channels,
          options.size,
          options.fit,
          options.background,
        );
    return { pixels, width, height, contentHash, decoder: 'libvips' };
  } catch (err) {
    const message = (err as Error).message;
    if (truncation.test(message) || endsEarly(bytes)) throw new SkipImage(truncatedReason);
    throw new SkipImage(`damaged image (${message.split('\n')[0].slice(0, 120)})`);
  }
}

/** Reduces the bands libvips returned to what was asked for (grey + alpha, or an unexpected extra band). */
function toChannels(data: Uint8Array, from: number, to: 1 | 3): Uint8Array {
  const n = data.length / from;
  const out = new Uint8Array(n * to);
  for (let p = 0; p < n; p++) for (let c = 0; c < to; c++) out[p * to + c] = data[p * from + Math.min(c, from - 1)];
  return out;
}
