import { decodeBase64 } from './base64';

/** Paints one uint8 HWC image (1 or 3 channels) onto a canvas at its native size; CSS scales it crisply. */
export function paintImage(
  canvas: HTMLCanvasElement,
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return;
  const image = context.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    const r = pixels[p * channels];
    image.data[p * 4] = r;
    image.data[p * 4 + 1] = channels === 3 ? pixels[p * 3 + 1] : r;
    image.data[p * 4 + 2] = channels === 3 ? pixels[p * 3 + 2] : r;
    image.data[p * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Each image of a set (base64 of uint8 HWC images back to back) as its own view, decoding the base64 once. */
export function splitImages(set: { pixels: string; width: number; height: number; channels: number }): Uint8Array[] {
  const all = decodeBase64(set.pixels);
  const bytes = set.width * set.height * set.channels;
  return Array.from({ length: all.length / bytes }, (_, i) => all.subarray(i * bytes, (i + 1) * bytes));
}
