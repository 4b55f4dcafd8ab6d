import { describe, expect, it } from 'vitest';
import { countOf, formatBytes } from '../../../src-main/api/units';

describe('counts and sizes in words', () => {
  it('says "1 class", "2 classes" and groups thousands', () => {
    expect(countOf(1, 'class', 'classes')).toBe('1 class');
    expect(countOf(0, 'class', 'classes')).toBe('0 classes');
    expect(countOf(10, 'class', 'classes')).toBe('10 classes');
    expect(countOf(1024, 'image')).toBe('1,024 images');
  });

  it('sizes files in kB, MB and GB', () => {
    expect([formatBytes(512), formatBytes(2_400), formatBytes(5_300_000), formatBytes(1.5e9)]).toEqual([
      '512 bytes',
      '2 kB',
      '5.3 MB',
      '1.5 GB',
    ]);
  });
});
