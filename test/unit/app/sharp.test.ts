import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../src-main/app/paths';
import { loadSharp } from '../../../src-main/app/sharp';
import { UserError } from '../../../src-main/api/errors';

/** sharp is loaded when first used, so an app package whose libvips does not fit the machine still opens. */
describe('loading sharp', () => {
  it('says in words when its binary does not load, and tries again next time', async () => {
    const missing = () =>
      Promise.reject(new Error('Could not load the "sharp" module using the darwin-x64 runtime\nPossible solutions:'));
    const refused = await loadSharp(missing).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UserError);
    expect(refused).toMatchObject({
      code: 'unsupported',
      message: `The image library (sharp) does not load on this computer (${process.platform}-${process.arch}): Could not load the "sharp" module using the darwin-x64 runtime. Install the Autoencoder Studio download made for this computer's processor.`,
    });
    const sharp = await loadSharp();
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('is not imported when a built bundle starts, only when an image is decoded or drawn', () => {
    const out = join(appRoot(), 'out', 'main');
    const bundles = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
    expect(bundles).toContain('index.js');
    for (const bundle of bundles) {
      const code = readFileSync(join(out, bundle), 'utf8');
      expect(code, bundle).not.toMatch(/^\s*import\s[^;]*from\s*["']sharp["']/m);
      expect(code, bundle).not.toMatch(/require\(\s*["']sharp["']\s*\)/);
    }
    expect(
      bundles.some((bundle) => /import\(\s*["']sharp["']\s*\)/.test(readFileSync(join(out, bundle), 'utf8'))),
    ).toBe(true);
  });
});
