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
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
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
