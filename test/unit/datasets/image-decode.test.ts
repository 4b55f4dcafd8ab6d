import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, type DecodeOptions } from '../../../src-main/datasets/image-decode';
import { JpegPool } from '../../../src-main/datasets/jpeg-pool';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

/** A real photo-like JPEG: Fashion-MNIST items tiled into a 168x112 colour picture. */
async function photoJpeg(dir: string, seed: number): Promise<string> {
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
  writeFileSync(
    path,
    await sharp(raw, { raw: { width: 168, height: 112, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  return path;
}

describe('decoding JPEGs in worker threads', () => {
  const tempDir = useTempDirs();
  let pool: JpegPool;

  beforeAll(() => {
    pool = JpegPool.open(2)!;
  });

  afterAll(async () => {
    await pool.close();
  });

  it.each<DecodeOptions>([
    { size: 32, channels: 3, fit: 'cover', background: '#ffffff' },
    { size: 48, channels: 1, fit: 'contain', background: '#000000' },
    { size: 64, channels: 3, fit: 'stretch', background: '#ffffff' },
  ])('gives the same picture as libvips (%j)', async (options) => {
    const dir = tempDir();
    for (const seed of [0, 40, 80]) {
      const path = await photoJpeg(dir, seed);
      const [threaded, libvips] = await Promise.all([
        decodeImageFile(path, options, pool),
        decodeImageFile(path, options),
      ]);
      expect(threaded.pixels.length).toBe(options.size * options.size * options.channels);
      expect([threaded.width, threaded.height, threaded.contentHash]).toEqual([
        libvips.width,
        libvips.height,
        libvips.contentHash,
      ]);
      // Two JPEG decoders and two resamplers: pixels agree closely, not bit for bit.
      let diff = 0;
      for (let i = 0; i < threaded.pixels.length; i++) diff += Math.abs(threaded.pixels[i] - libvips.pixels[i]);
      expect(diff / threaded.pixels.length).toBeLessThan(4);
    }
  });
});
