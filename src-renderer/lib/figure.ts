import { uiFont } from './canvas';
import { paintImage } from './pixels';
import { classColour } from './palette';

export interface FigureSpec {
  title: string;
  width: number;
  height: number;
  channels: 1 | 3;
  items: Array<{ label: number | null; labelName: string }>;
  rows: Array<{ title: string; pixels: Uint8Array }>;
  numbers?: Array<{ title: string; values: string[] }>;
  /** Images per line before wrapping. */
  perLine?: number;
}

const margin = 16;
const labelWidth = 110;
const gap = 8;

/**
 * A results view as a standalone PNG figure: a title, rows of images under their row titles (wrapped into lines),
 * each image's class under it in the class colour, and number rows such as errors. Images are enlarged by a whole
 * factor without smoothing, so 28 px images stay crisp.
 */
export function drawFigure(spec: FigureSpec): HTMLCanvasElement {
  const { width, height, channels, items, rows, numbers = [] } = spec;
  const perLine = Math.min(spec.perLine ?? 10, Math.max(1, items.length));
  const scale = Math.max(1, Math.round(80 / Math.max(width, height)));
  const tileW = width * scale;
  const tileH = height * scale;
  const textRows = 1 + numbers.length;
  const lineHeight = rows.length * (tileH + gap) + textRows * 16 + 14;
  const lines = Math.ceil(items.length / perLine);
  const canvas = document.createElement('canvas');
  canvas.width = margin * 2 + labelWidth + perLine * (tileW + gap);
  canvas.height = margin * 2 + 28 + lines * lineHeight;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#1f2328';
  context.font = uiFont(15, 600);
  context.fillText(spec.title, margin, margin + 14);
  context.imageSmoothingEnabled = false;
  const bytes = width * height * channels;
  const tile = document.createElement('canvas');
  for (let line = 0; line < lines; line++) {
    const top = margin + 28 + line * lineHeight;
    const first = line * perLine;
    const count = Math.min(perLine, items.length - first);
    context.font = uiFont(12);
    rows.forEach((row, r) => {
      const y = top + r * (tileH + gap);
      context.fillStyle = '#57606a';
      context.fillText(row.title, margin, y + tileH / 2 + 4);
      for (let c = 0; c < count; c++) {
        const i = first + c;
        paintImage(tile, row.pixels.subarray(i * bytes, (i + 1) * bytes), width, height, channels);
        context.drawImage(tile, margin + labelWidth + c * (tileW + gap), y, tileW, tileH);
      }
    });
    let y = top + rows.length * (tileH + gap) + 10;
    context.textAlign = 'center';
    for (let c = 0; c < count; c++) {
      const item = items[first + c];
      context.fillStyle = classColour(item.label);
      context.fillText(
        fit(context, item.labelName, tileW + gap - 2),
        margin + labelWidth + c * (tileW + gap) + tileW / 2,
        y,
      );
    }
    for (const row of numbers) {
      y += 16;
      context.textAlign = 'left';
      context.fillStyle = '#57606a';
      context.fillText(row.title, margin, y);
      context.textAlign = 'center';
      for (let c = 0; c < count; c++) {
        context.fillText(row.values[first + c], margin + labelWidth + c * (tileW + gap) + tileW / 2, y);
      }
    }
    context.textAlign = 'left';
  }
  return canvas;
}

/** The text, shortened with an ellipsis to fit the width. */
function fit(context: CanvasRenderingContext2D, text: string, width: number): string {
  if (context.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && context.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}
