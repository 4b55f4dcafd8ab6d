/** The theme colours a chart drawn on a canvas needs, read from the CSS variables so light and dark themes apply. */
export interface ChartColours {
  text: string;
  muted: string;
  border: string;
  accent: string;
}

/**
 * Sizes a canvas for sharp drawing at `width` x `height` CSS pixels on this screen (its device pixel ratio), clears
 * it, and returns its 2-D context scaled to CSS pixels with the theme's colours; null when it cannot draw.
 */
export function prepareCanvas(
  canvas: HTMLCanvasElement | undefined,
  width: number,
  height: number,
): { context: CanvasRenderingContext2D; colours: ChartColours } | null {
  const context = canvas?.getContext('2d');
  if (!canvas || !context) return null;
  const ratio = window.devicePixelRatio || 1;
  // Resizing reallocates the canvas: only when the size changed (a redraw on every pan step must stay cheap).
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = uiFont(11);
  const style = getComputedStyle(canvas);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    context,
    colours: {
      text: read('--text', '#1c2230'),
      muted: read('--muted', '#666'),
      border: read('--border', '#ddd'),
      accent: read('--accent', '#2f6fde'),
    },
  };
}

/** A CSS colour (#rrggbb, or anything a canvas understands) as r, g, b numbers, for writing pixels directly. */
const rgbCache = new Map<string, [number, number, number]>();
export function colourRgb(colour: string): [number, number, number] {
  let value = rgbCache.get(colour);
  if (!value) {
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = colour;
    const hex = probe.fillStyle as string;
    value = /^#[0-9a-f]{6}$/i.test(hex)
      ? [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]
      : [128, 128, 128];
    rgbCache.set(colour, value);
  }
  return value;
}

/** The window's font (app.css's --font, CJK faces included) for text drawn on a canvas. */
export function uiFont(px: number, weight = 400): string {
  const family = getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'sans-serif';
  return `${weight} ${px}px ${family}`;
}
