/**
 * The latent map's geometry, apart from its drawing: where a data point lands on screen and back, fitting and zooming
 * the view, axis ticks, which point the pointer is on, which points a box holds, and the points grouped by colour.
 * Points are x, y pairs in one Float32Array.
 */

/** The view: the data coordinates at the plot's centre, and screen pixels per data unit. */
export interface MapView {
  cx: number;
  cy: number;
  scale: number;
}

/** The canvas's size in CSS pixels and the margins the axes take. */
export interface PlotArea {
  width: number;
  height: number;
  margin: { left: number; right: number; top: number; bottom: number };
}

export interface ScreenBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const plotCentre = (area: PlotArea) => ({
  x: area.margin.left + (area.width - area.margin.left - area.margin.right) / 2,
  y: area.margin.top + (area.height - area.margin.top - area.margin.bottom) / 2,
});

export function toScreen(view: MapView, area: PlotArea, x: number, y: number): { sx: number; sy: number } {
  const centre = plotCentre(area);
  // Up is up: screen y grows downwards, data y upwards.
  return { sx: centre.x + (x - view.cx) * view.scale, sy: centre.y - (y - view.cy) * view.scale };
}

export function toData(view: MapView, area: PlotArea, sx: number, sy: number): { x: number; y: number } {
  const centre = plotCentre(area);
  return { x: view.cx + (sx - centre.x) / view.scale, y: view.cy - (sy - centre.y) / view.scale };
}

/** The view that shows every point, with a little room at the edges. */
export function fitView(points: Float32Array, area: PlotArea): MapView {
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.length; i += 2) {
    minX = Math.min(minX, points[i]);
    maxX = Math.max(maxX, points[i]);
    minY = Math.min(minY, points[i + 1]);
    maxY = Math.max(maxY, points[i + 1]);
  }
  if (points.length === 0) [minX, maxX, minY, maxY] = [-1, 1, -1, 1];
  const plotW = area.width - area.margin.left - area.margin.right;
  const plotH = area.height - area.margin.top - area.margin.bottom;
  const spanX = Math.max(maxX - minX, 1e-6);
  const spanY = Math.max(maxY - minY, 1e-6);
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, scale: 0.94 * Math.min(plotW / spanX, plotH / spanY) };
}

/** Zooms by `factor` about a screen position: the data point under the pointer stays under it. */
export function zoomAt(view: MapView, area: PlotArea, sx: number, sy: number, factor: number): MapView {
  const before = toData(view, area, sx, sy);
  const zoomed = { ...view, scale: view.scale * factor };
  const after = toData(zoomed, area, sx, sy);
  return { cx: zoomed.cx + before.x - after.x, cy: zoomed.cy + before.y - after.y, scale: zoomed.scale };
}

/** Round tick values (steps of 1, 2 or 5 × 10^k) giving about `count` ticks from `from` to `to`. */
export function ticks(from: number, to: number, count: number): number[] {
  const raw = (to - from) / count;
  if (!(raw > 0) || !Number.isFinite(raw)) return [];
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
  const out: number[] = [];
  for (let v = Math.ceil(from / step) * step; v <= to; v += step) out.push(Math.abs(v) < step / 1e6 ? 0 : v);
  return out;
}

/** The shown point nearest a screen position, within `radius` pixels; null when none is that close. */
export function nearestPoint(
  view: MapView,
  area: PlotArea,
  points: Float32Array,
  shown: (i: number) => boolean,
  sx: number,
  sy: number,
  radius = 8,
): number | null {
  const origin = toScreen(view, area, 0, 0);
  let best: number | null = null;
  let bestD = radius * radius;
  for (let i = 0; i < points.length / 2; i++) {
    const dx = origin.sx + points[2 * i] * view.scale - sx;
    const dy = origin.sy - points[2 * i + 1] * view.scale - sy;
    const d = dx * dx + dy * dy;
    if (d < bestD && shown(i)) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** The shown points inside a box drawn on screen (from any corner). */
export function pointsInBox(
  view: MapView,
  area: PlotArea,
  points: Float32Array,
  shown: (i: number) => boolean,
  box: ScreenBox,
): number[] {
  const [left, right] = [Math.min(box.x0, box.x1), Math.max(box.x0, box.x1)];
  const [top, bottom] = [Math.min(box.y0, box.y1), Math.max(box.y0, box.y1)];
  const inside: number[] = [];
  for (let i = 0; i < points.length / 2; i++) {
    if (!shown(i)) continue;
    const { sx, sy } = toScreen(view, area, points[2 * i], points[2 * i + 1]);
    if (sx >= left && sx <= right && sy >= top && sy <= bottom) inside.push(i);
  }
  return inside;
}

/**
 * Point indices grouped by colour (group g's points are order[start[g]] .. order[start[g + 1] - 1], in index order),
 * so a draw sets each colour once and visits each point once.
 */
export function colourBuckets(
  count: number,
  groups: number,
  groupOf: (i: number) => number,
): { groups: number; start: Int32Array; order: Int32Array } {
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < count; i++) start[groupOf(i) + 1]++;
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const order = new Int32Array(count);
  const next = start.slice(0, groups);
  for (let i = 0; i < count; i++) order[next[groupOf(i)]++] = i;
  return { groups, start, order };
}
