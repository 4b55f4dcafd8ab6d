import { loadSharp } from '../app/sharp';

export interface ImageGrid {
  /** Each row: images back to back (uint8 HWC); rows may hold different numbers of images. */
  rows: Uint8Array[];
  width: number;
  height: number;
  channels: 1 | 3;
  /** Whole-number enlargement, nearest neighbour, so 28 px images stay crisp. */
  scale: number;
}

const gap = 4;
const background = 255;

/** Images laid out in rows on white, as one PNG (the CLI's --out). */
export async function imageGridPng(grid: ImageGrid): Promise<Buffer> {
  const { rows, width, height, channels, scale } = grid;
  const size = width * height * channels;
  const columns = Math.max(...rows.map((row) => row.length / size));
  const tileW = width * scale;
  const tileH = height * scale;
  const outW = gap + columns * (tileW + gap);
  const outH = gap + rows.length * (tileH + gap);
  const out = new Uint8Array(outW * outH * 3).fill(background);
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length / size; c++) {
      const left = gap + c * (tileW + gap);
      const top = gap + r * (tileH + gap);
      for (let y = 0; y < tileH; y++) {
        for (let x = 0; x < tileW; x++) {
          const from = c * size + (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
          const to = ((top + y) * outW + left + x) * 3;
          out[to] = row[from];
          out[to + 1] = row[from + (channels === 3 ? 1 : 0)];
          out[to + 2] = row[from + (channels === 3 ? 2 : 0)];
        }
      }
    }
  });
  const sharp = await loadSharp();
  return sharp(out, { raw: { width: outW, height: outH, channels: 3 } })
    .png()
    .toBuffer();
}

/** The enlargement that makes images about `target` pixels across, at least 1. */
export function crispScale(imageSize: number, target = 96): number {
  return Math.max(1, Math.round(target / imageSize));
}
