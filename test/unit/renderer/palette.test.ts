import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { classColour } from '../../../src-renderer/lib/palette';

/** WCAG relative luminance and contrast ratio. */
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
/** CIE L*a*b* of an sRGB colour (D65), for the colour difference ΔE*76 between two colours. */
const lab = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const [x, y, z] = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
  ];
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
};
const deltaE = (a: string, b: string) => Math.hypot(...lab(a).map((v, i) => v - lab(b)[i]));
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

describe('class colours', () => {
  // The themes' page backgrounds, read from the stylesheet so a change there is checked too.
  const css = readFileSync(new URL('../../../src-renderer/styles/app.css', import.meta.url), 'utf8');
  const [light, dark] = [...css.matchAll(/--bg: (#[0-9a-f]{6});/gi)].map((m) => m[1]);

  it('stay visible on both themes: no class is drawn black on the dark theme or yellow on the light one', () => {
    expect([light, dark]).toHaveLength(2);
    for (let label = 0; label < 10; label++) {
      expect(contrast(classColour(label), dark)).toBeGreaterThanOrEqual(3);
      expect(contrast(classColour(label), light)).toBeGreaterThanOrEqual(1.85);
    }
    expect(new Set(Array.from({ length: 20 }, (_, i) => classColour(i))).size).toBe(20);
  });

  it('tell ten classes apart: every two differ by a colour difference of at least 25 (ΔE*76)', () => {
    // Fashion-MNIST's Shirt (6) and Ankle boot (9) were two olives 16 apart.
    for (let a = 0; a < 10; a++) {
      for (let b = a + 1; b < 10; b++) {
        expect(deltaE(classColour(a), classColour(b)), `classes ${a} and ${b}`).toBeGreaterThanOrEqual(25);
      }
    }
  });
});
