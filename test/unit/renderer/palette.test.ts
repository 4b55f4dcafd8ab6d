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
      expect(contrast(classColour(label), light)).toBeGreaterThanOrEqual(2);
    }
    expect(new Set(Array.from({ length: 10 }, (_, i) => classColour(i))).size).toBe(10);
  });
});
