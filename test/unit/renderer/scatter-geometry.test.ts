import { describe, expect, it } from 'vitest';
import {
  colourBuckets,
  fitView,
  nearestPoint,
  pointsInBox,
  ticks,
  toData,
  toScreen,
  zoomAt,
  type PlotArea,
} from '../../../src-renderer/lib/scatter-geometry';

const area: PlotArea = { width: 800, height: 560, margin: { left: 48, bottom: 32, top: 10, right: 10 } };
const points = Float32Array.from([-3, -1, 5, 2, 0, 0, 1, 7]);
const everyPoint = () => true;

describe('the latent map geometry', () => {
  it('fits every point inside the plot area, up the right way', () => {
    const view = fitView(points, area);
    for (let i = 0; i < points.length / 2; i++) {
      const { sx, sy } = toScreen(view, area, points[2 * i], points[2 * i + 1]);
      expect(sx).toBeGreaterThanOrEqual(area.margin.left);
      expect(sx).toBeLessThanOrEqual(area.width - area.margin.right);
      expect(sy).toBeGreaterThanOrEqual(area.margin.top);
      expect(sy).toBeLessThanOrEqual(area.height - area.margin.bottom);
    }
    // The highest point (y = 7) is nearest the top of the screen.
    expect(toScreen(view, area, 1, 7).sy).toBeLessThan(toScreen(view, area, 0, 0).sy);
    // One point alone, or none, still gives a usable view.
    expect(Number.isFinite(fitView(Float32Array.from([2, 2]), area).scale)).toBe(true);
    expect(fitView(new Float32Array(0), area)).toMatchObject({ cx: 0, cy: 0 });
  });

  it('maps screen positions back to the data, and zooms about the pointer', () => {
    const view = { cx: 1.5, cy: -2, scale: 37 };
    const { sx, sy } = toScreen(view, area, 4.25, 3.5);
    expect(toData(view, area, sx, sy).x).toBeCloseTo(4.25, 10);
    expect(toData(view, area, sx, sy).y).toBeCloseTo(3.5, 10);
    const zoomed = zoomAt(view, area, 300, 200, 2.5);
    expect(zoomed.scale).toBeCloseTo(92.5, 10);
    const under = toData(view, area, 300, 200);
    const stillUnder = toData(zoomed, area, 300, 200);
    expect(stillUnder.x).toBeCloseTo(under.x, 10);
    expect(stillUnder.y).toBeCloseTo(under.y, 10);
  });

  it('puts ticks on round values', () => {
    expect(ticks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(-0.37, 0.81, 6)).toEqual([-0.2, 0, 0.2, 0.4, 0.6, 0.8].map((v) => expect.closeTo(v, 10)));
    expect(ticks(1, 1, 5)).toEqual([]);
  });

  it('finds the shown point under the pointer, and the shown points in a box', () => {
    const view = fitView(points, area);
    const at = (i: number) => toScreen(view, area, points[2 * i], points[2 * i + 1]);
    const third = at(2);
    expect(nearestPoint(view, area, points, everyPoint, third.sx + 3, third.sy - 4)).toBe(2);
    // Too far from any point, or the point is hidden.
    expect(nearestPoint(view, area, points, everyPoint, third.sx + 30, third.sy)).toBeNull();
    expect(nearestPoint(view, area, points, (i) => i !== 2, third.sx, third.sy)).toBeNull();
    // A box drawn from its bottom-right corner round points 1 and 2 only.
    const [a, b] = [at(2), at(1)];
    const box = {
      x0: Math.max(a.sx, b.sx) + 2,
      y0: Math.max(a.sy, b.sy) + 2,
      x1: Math.min(a.sx, b.sx) - 2,
      y1: Math.min(a.sy, b.sy) - 2,
    };
    expect(pointsInBox(view, area, points, everyPoint, box)).toEqual([1, 2]);
    expect(pointsInBox(view, area, points, (i) => i !== 1, box)).toEqual([2]);
  });

  it('groups points by colour, each group in index order', () => {
    const classes = [2, 0, 2, 1, 0];
    const { start, order } = colourBuckets(classes.length, 3, (i) => classes[i]);
    expect(Array.from(start)).toEqual([0, 2, 3, 5]);
    expect(Array.from(order)).toEqual([1, 4, 3, 0, 2]);
  });
});
