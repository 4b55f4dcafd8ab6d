/**
 * A worker thread that decodes plain JPEGs with mozjpeg compiled to WebAssembly and resizes them. On 2-core
 * machines libvips spends ~3 ms of fixed cost per small JPEG; this does the whole job in ~1.5 ms, and several
 * workers use every core (see `npm run bench:import`). Anything unusual stays with sharp (image-decode.ts).
 */
import { parentPort } from 'node:worker_threads';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import decode, { init } from '@jsquash/jpeg/decode.js';
import { createHash } from 'node:crypto';
import { resampleToSquare } from './resample';
import { isPlainSmallJpeg, maxFileBytes, readImageHeader } from './image-header';
import type { JpegJob, JpegResult } from './jpeg-pool';

const requireHere = createRequire(import.meta.url);
// Hand the module its bytes: it would otherwise try to fetch them by URL.
const wasmBinary = readFileSync(requireHere.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
// libjpeg's warnings would go to stderr; a damaged file is reported by the fallback decoder instead.
const ready = init({ wasmBinary, print: () => {}, printErr: () => {} } as Parameters<typeof init>[0]);

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

/** Greyscale from RGBA pixels: Rec. 709 luminance computed in linear light. */
function toGrey(rgba: Uint8ClampedArray, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const y = 0.2126 * toLinear[rgba[p * 4]] + 0.7152 * toLinear[rgba[p * 4 + 1]] + 0.0722 * toLinear[rgba[p * 4 + 2]];
    out[p] = fromLinear[Math.round(Math.min(1, y) * encodeSteps)];
  }
  return out;
}

async function handle(job: JpegJob): Promise<JpegResult> {
  const { id, path, options } = job;
  let bytes: Buffer;
  try {
    // Size first: empty or oversized files are left to image-decode.ts, which says what is wrong, unread.
    const size = statSync(path).size;
    if (size === 0 || size > maxFileBytes) return { id, declined: 'size' };
    bytes = readFileSync(path);
  } catch (err) {
    return { id, declined: `unreadable (${(err as NodeJS.ErrnoException).code})` };
  }
  const header = readImageHeader(bytes);
  if (!header || !isPlainSmallJpeg(bytes, header)) return { id, declined: 'not a plain small JPEG' };
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  try {
    await ready;
    const image = await decode(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    const rgba = image.data as Uint8ClampedArray;
    const { size, channels, fit, background } = options;
    const view = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    // Colour reads RGB straight out of RGBA; greyscale needs the luminance computed first.
    const pixels =
      channels === 3
        ? resampleToSquare(view, image.width, image.height, 3, size, fit, background, 4)
        : resampleToSquare(
            toGrey(rgba, image.width * image.height),
            image.width,
            image.height,
            1,
            size,
            fit,
            background,
          );
    return { id, pixels, width: image.width, height: image.height, contentHash };
  } catch (err) {
    return { id, declined: `decoder: ${(err as Error)?.message ?? String(err)}` };
  }
}

parentPort!.on('message', (job: JpegJob) => {
  void handle(job).then((result) =>
    parentPort!.postMessage(result, 'pixels' in result ? [result.pixels.buffer as ArrayBuffer] : []),
  );
});
