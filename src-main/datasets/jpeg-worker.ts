/**
 * A worker thread that decodes plain JPEGs and resizes them. It prefers libjpeg-turbo (the native addon in
 * src-main/datasets/native), which decodes straight to a reduced size; without it, mozjpeg compiled to WebAssembly
 * decodes at full size. On 2-core machines libvips spends ~3 ms of fixed cost per small JPEG; this does the whole job
 * in ~1 ms (native) or ~3 ms (WebAssembly) on each core (see `npm run bench:import`). Anything unusual stays with
 * sharp (image-decode.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import decode, { init } from '@jsquash/jpeg/decode.js';
import { createHash } from 'node:crypto';
import { loadNativeJpeg } from './native-jpeg';
import { resampleToSquare } from './resample';
import { isPlainSmallJpeg, maxFileBytes, readImageHeader } from './image-header';
import type { JpegDecoder, JpegJob, JpegResult } from './jpeg-pool';

const requireHere = createRequire(import.meta.url);

/** Undefined where the addon is not built, or where the pool asked for the WebAssembly decoder. */
const nativeJpeg =
  (workerData as { decoder?: JpegDecoder } | undefined)?.decoder === 'wasm' ? undefined : loadNativeJpeg();

/** The WebAssembly decoder, started only where the native one is missing. */
const wasmReady =
  nativeJpeg === undefined &&
  // Hand the module its bytes: it would otherwise try to fetch them by URL. libjpeg's warnings would go to stderr; a
  // damaged file is reported by the fallback decoder instead.
  init({
    wasmBinary: readFileSync(requireHere.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')),
    print: () => {},
    printErr: () => {},
  } as Parameters<typeof init>[0]);

/** RGB (stride 3) from libjpeg-turbo, or RGBA (stride 4) from mozjpeg. */
async function decodePixels(
  bytes: Buffer,
  size: number,
): Promise<{ pixels: Uint8Array; width: number; height: number; stride: 3 | 4 }> {
  if (nativeJpeg) return { ...nativeJpeg.decodeJpeg(bytes, size), stride: 3 };
  await wasmReady;
  const image = await decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const rgba = image.data as Uint8ClampedArray;
  return {
    pixels: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength),
    width: image.width,
    height: image.height,
    stride: 4,
  };
}

/** sRGB byte -> linear light, and back, as libvips converts colour to greyscale (luminance in linear light). */
const toLinear = Float32Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
const encodeSteps = 4096;
const fromLinear = Uint8Array.from({ length: encodeSteps + 1 }, (_, i) => {
  const c = i / encodeSteps;
  return Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055));
});

/** Greyscale from RGB or RGBA pixels: Rec. 709 luminance computed in linear light. */
function toGrey(rgb: Uint8Array, pixels: number, stride: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const i = p * stride;
    const y = 0.2126 * toLinear[rgb[i]] + 0.7152 * toLinear[rgb[i + 1]] + 0.0722 * toLinear[rgb[i + 2]];
    out[p] = fromLinear[Math.round(Math.min(1, y) * encodeSteps)];
  }
  return out;
}

async function handle(job: JpegJob): Promise<JpegResult> {
  const { id, path, options } = job;
  let bytes: Buffer;
  try {
    // Size first: empty or oversized files are left to image-decode.ts, which says what is wrong, unread.
    const info = statSync(path);
    if (!info.isFile() || info.size === 0 || info.size > maxFileBytes) return { id, declined: 'size' };
    bytes = readFileSync(path);
  } catch (err) {
    return { id, declined: `unreadable (${(err as NodeJS.ErrnoException).code})` };
  }
  const header = readImageHeader(bytes);
  if (!header || !isPlainSmallJpeg(bytes, header)) return { id, declined: 'not a plain small JPEG' };
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  try {
    const { size, channels, fit, background } = options;
    const image = await decodePixels(bytes, size);
    // Colour reads RGB straight out of the decoded pixels; greyscale needs the luminance computed first.
    const pixels =
      channels === 3
        ? resampleToSquare(image.pixels, image.width, image.height, 3, size, fit, background, image.stride)
        : resampleToSquare(
            toGrey(image.pixels, image.width * image.height, image.stride),
            image.width,
            image.height,
            1,
            size,
            fit,
            background,
          );
    // The original size, not the reduced size the native decoder may have decoded at.
    return {
      id,
      pixels,
      width: header.width,
      height: header.height,
      contentHash,
      decoder: nativeJpeg ? 'native' : 'wasm',
    };
  } catch (err) {
    return { id, declined: `decoder: ${(err as Error)?.message ?? String(err)}` };
  }
}

parentPort!.on('message', (job: JpegJob) => {
  void handle(job).then((result) =>
    parentPort!.postMessage(result, 'pixels' in result ? [result.pixels.buffer as ArrayBuffer] : []),
  );
});
