import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBytes, decodeImageFile } from '../../../src-main/datasets/image-decode';
import type { DecodeOptions } from '../../../src-main/datasets/decode-types';
import { JpegPool } from '../../../src-main/datasets/jpeg-pool';
import { loadNativeJpeg } from '../../../src-main/datasets/native-jpeg';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * A real photo-like JPEG: Fashion-MNIST items tiled into a 168x112 colour picture; also the same picture as a
 * lossless PNG, the truth both decoders are measured against.
 */
async function photoJpeg(dir: string, seed: number): Promise<{ path: string; original: Buffer }> {
  const { pixels } = loadFashionSample();
  const raw = Buffer.alloc(168 * 112 * 3);
  for (let y = 0; y < 112; y++) {
    for (let x = 0; x < 168; x++) {
      const item = seed + Math.floor(x / 28) + 6 * Math.floor(y / 28);
      const v = pixels[item * 784 + (y % 28) * 28 + (x % 28)];
      raw.set([v, 255 - v, (v * 3) % 256], (y * 168 + x) * 3);
    }
  }
  const path = join(dir, `photo-${seed}.jpg`);
  const picture = () => sharp(raw, { raw: { width: 168, height: 112, channels: 3 } });
  writeFileSync(path, await picture().jpeg({ quality: 90 }).toBuffer());
  return { path, original: await picture().png().toBuffer() };
}

/** Mean absolute difference of two equally long pixel arrays, in grey levels. */
function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
  return diff / a.length;
}

describe.each(['native', 'wasm'] as const)('decoding JPEGs in worker threads (%s decoder)', (decoder) => {
  const tempDir = useTempDirs();
  let pool: JpegPool;

  beforeAll(() => {
    pool = JpegPool.open(2, decoder)!;
  });

  afterAll(async () => {
    await pool.close();
  });

  it.each<DecodeOptions>([
    { size: 32, channels: 3, fit: 'cover', background: '#ffffff' },
    { size: 48, channels: 1, fit: 'contain', background: '#000000' },
    { size: 64, channels: 3, fit: 'stretch', background: '#ffffff' },
  ])('gives the picture libvips gives, as faithful to the original (%j)', async (options) => {
    const dir = tempDir();
    for (const seed of [0, 40, 80]) {
      const { path, original } = await photoJpeg(dir, seed);
      const [threaded, libvips, truth] = await Promise.all([
        decodeImageFile(path, options, pool),
        decodeImageFile(path, options),
        decodeImageBytes(original, options),
      ]);
      // The thread decoded it (not libvips, which a thread that failed to load would fall back to), with the decoder
      // asked for.
      expect([threaded.decoder, libvips.decoder]).toEqual([decoder, 'libvips']);
      expect(threaded.pixels.length).toBe(options.size * options.size * options.channels);
      expect([threaded.width, threaded.height, threaded.contentHash]).toEqual([
        libvips.width,
        libvips.height,
        libvips.contentHash,
      ]);
      // Different decoders and reductions (the native one decodes at a reduced scale): pixels agree closely, not bit
      // for bit, and neither is further from the uncompressed original than the other by more than a little.
      expect(meanDifference(threaded.pixels, libvips.pixels)).toBeLessThan(7);
      expect(meanDifference(threaded.pixels, truth.pixels)).toBeLessThan(
        1.3 * meanDifference(libvips.pixels, truth.pixels) + 0.5,
      );
    }
  });
});

describe('the native JPEG decoder', () => {
  // CI builds the addon (npm run build:native --strict), so it is always here to test.
  const addon = loadNativeJpeg()!;
  const tempDir = useTempDirs();

  it('decodes at the smallest eighth that still covers the size asked for, else at full size', async () => {
    const bytes = readFileSync((await photoJpeg(tempDir(), 0)).path);
    const at = (minSize: number) => {
      const { width, height, fullWidth, fullHeight, pixels } = addon.decodeJpeg(bytes, minSize);
      expect([fullWidth, fullHeight, pixels.length]).toEqual([168, 112, width * height * 3]);
      return [width, height];
    };
    // 168x112: 3/8 is 63x42 (covers 32), 5/8 is 105x70 (covers 64); nothing smaller than full size covers 120.
    expect(at(32)).toEqual([63, 42]);
    expect(at(64)).toEqual([105, 70]);
    expect(at(120)).toEqual([168, 112]);
    expect(at(1)).toEqual([21, 14]);
  });

  it("refuses damaged files and bad arguments with libjpeg's reason, including what libjpeg would patch over", async () => {
    const bytes = readFileSync((await photoJpeg(tempDir(), 0)).path);
    expect(() => addon.decodeJpeg(bytes.subarray(0, 600), 32)).toThrow(/premature end/i);
    expect(() => addon.decodeJpeg(Buffer.from('GIF89a, not a JPEG at all'), 32)).toThrow(/not a JPEG file/i);
    // Scan data overwritten with a marker-free pattern: libjpeg only warns ("Corrupt JPEG data") and fills in.
    const corrupt = Buffer.from(bytes);
    corrupt.fill(0x11, corrupt.length - 400, corrupt.length - 2);
    expect(() => addon.decodeJpeg(corrupt, 32)).toThrow(/corrupt|huffman|data/i);
    expect(() => addon.decodeJpeg(new Uint16Array(8) as never, 32)).toThrow(/expected a Uint8Array/);
    expect(() => addon.decodeJpeg(bytes, 0)).toThrow(/positive integer/);
    expect(() => addon.decodeJpeg(bytes, 'large' as never)).toThrow(/positive integer/);
    expect(() => (addon.decodeJpeg as (b: Uint8Array) => unknown)(bytes)).toThrow(/minimum size/);
  });
});
