import { describe, expect, it } from 'vitest';
import { resampleToSquare } from '../../../src-main/datasets/resample';

function image(
  width: number,
  height: number,
  channels: number,
  value: (x: number, y: number, c: number) => number,
): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = value(x, y, c);
  return out;
}

describe('resampleToSquare', () => {
  it('keeps a flat colour flat at any scale', () => {
    for (const [w, h, size] of [
      [200, 150, 64],
      [7, 5, 32],
      [64, 64, 64],
      [1000, 10, 16],
    ]) {
      const out = resampleToSquare(
        image(w, h, 3, (_, __, c) => [10, 200, 255][c]),
        w,
        h,
        3,
        size,
        'stretch',
        '#000000',
      );
      expect(out.length).toBe(size * size * 3);
      for (let p = 0; p < size * size; p++)
        expect([out[p * 3], out[p * 3 + 1], out[p * 3 + 2]]).toEqual([10, 200, 255]);
    }
  });

  it('averages the whole footprint when shrinking (no aliasing of fine stripes)', () => {
    // 1-pixel black/white stripes shrunk 4x must become mid-grey, not black or white.
    const out = resampleToSquare(
      image(64, 64, 1, (x) => (x % 2 ? 255 : 0)),
      64,
      64,
      1,
      16,
      'stretch',
      '#000000',
    );
    expect(Math.min(...out)).toBeGreaterThanOrEqual(126);
    expect(Math.max(...out)).toBeLessThanOrEqual(129);
  });

  it('cover crops the centre; contain pads with the background', () => {
    // A wide image: left third red, middle green, right third blue.
    const wide = image(90, 30, 3, (x, _, c) => (Math.floor(x / 30) === c ? 255 : 0));
    const cover = resampleToSquare(wide, 90, 30, 3, 10, 'cover', '#ffffff');
    expect([cover[0], cover[1], cover[2]]).toEqual([0, 255, 0]); // only the green middle is left
    const contain = resampleToSquare(wide, 90, 30, 3, 9, 'contain', '#ffffff');
    expect([contain[0], contain[1], contain[2]]).toEqual([255, 255, 255]); // top border: background
    const middleLeft = (4 * 9 + 0) * 3;
    expect([contain[middleLeft], contain[middleLeft + 1], contain[middleLeft + 2]]).toEqual([255, 0, 0]);
  });

  it('interpolates when enlarging', () => {
    const out = resampleToSquare(
      image(2, 1, 1, (x) => (x ? 200 : 0)),
      2,
      1,
      1,
      8,
      'stretch',
      '#000000',
    );
    const row = Array.from(out.subarray(0, 8));
    expect(row[0]).toBe(0);
    expect(row[7]).toBe(200);
    for (let i = 1; i < 8; i++) expect(row[i]).toBeGreaterThanOrEqual(row[i - 1]);
  });
});
