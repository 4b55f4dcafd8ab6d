import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src-main/app/random';
import { psnrCap } from '../../../src-main/api/units';
import { imageQuality } from '../../../src-main/app/image-quality';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { torchPython } from '../../helpers/python-export';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * PSNR and SSIM against scikit-image's peak_signal_noise_ratio and structural_similarity (the Gaussian-window SSIM of
 * Wang et al. 2004) on the same images: real Fashion-MNIST pictures and colour images, each against copies damaged
 * in several ways, as reconstructions are.
 */
const skimageScript = String.raw`
import json, sys, numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
spec = json.load(open(sys.argv[1]))
h, w, c = spec["shape"]
a = np.fromfile(spec["a"], dtype=np.float32).astype(np.float64).reshape(-1, h, w, c)
b = np.fromfile(spec["b"], dtype=np.float32).astype(np.float64).reshape(-1, h, w, c)
out = {"psnr": [], "ssim": []}
for x, y in zip(a, b):
    out["psnr"].append(peak_signal_noise_ratio(x, y, data_range=1))
    out["ssim"].append(structural_similarity(x, y, data_range=1, channel_axis=-1, gaussian_weights=True,
                                             sigma=1.5, use_sample_covariance=False))
print(json.dumps(out))
`;

/** Copies of `clean` damaged as reconstructions are: noise, a blur, a dimmed copy, a shifted one, a flat grey one. */
function damaged(clean: Float32Array, n: number, shape: [number, number, number]): Float32Array {
  const [h, w, c] = shape;
  const size = h * w * c;
  const out = new Float32Array(clean.length);
  const random = seededRandom(5);
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const at = (p: number, q: number) => clean[i * size + (Math.min(h - 1, p) * w + Math.min(w - 1, q)) * c + k];
          const v = at(y, x);
          out[i * size + (y * w + x) * c + k] =
            kind === 0
              ? Math.min(1, Math.max(0, v + (random() - 0.5) * 0.3))
              : kind === 1
                ? (v + at(y, x + 1) + at(y + 1, x) + at(y + 1, x + 1)) / 4
                : kind === 2
                  ? v * 0.7 + 0.1
                  : kind === 3
                    ? at(y + 1, x + 2)
                    : 0.4;
        }
      }
    }
  }
  return out;
}

describe('PSNR and SSIM, against scikit-image', () => {
  const tempDir = useTempDirs();

  function compare(clean: Float32Array, n: number, shape: [number, number, number]) {
    const recon = damaged(clean, n, shape);
    const folder = tempDir();
    writeFileSync(join(folder, 'a.f32'), clean);
    writeFileSync(join(folder, 'b.f32'), recon);
    const spec = { a: join(folder, 'a.f32'), b: join(folder, 'b.f32'), shape };
    writeFileSync(join(folder, 'spec.json'), JSON.stringify(spec));
    const reference = JSON.parse(
      execFileSync(torchPython, ['-c', skimageScript, join(folder, 'spec.json')], { encoding: 'utf8' }),
    ) as { psnr: number[]; ssim: number[] };
    const ours = imageQuality(clean, recon, n, shape);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(ours.psnr[i] - reference.psnr[i]), `PSNR of image ${i}`).toBeLessThan(1e-4);
      expect(Math.abs(ours.ssim![i] - reference.ssim[i]), `SSIM of image ${i}`).toBeLessThan(1e-4);
    }
    // The damage spans good and bad reconstructions, so the comparison covers the measures' whole range.
    expect(Math.max(...reference.ssim) - Math.min(...reference.ssim)).toBeGreaterThan(0.3);
    return reference;
  }

  it('matches on Fashion-MNIST images (28×28, grayscale)', () => {
    const n = 20;
    const sample = loadFashionSample();
    const clean = Float32Array.from(sample.pixels.subarray(0, n * 784), (v) => v / 255);
    compare(clean, n, [28, 28, 1]);
  });

  it('matches on colour images (32×40×3), channel by channel', () => {
    const n = 10;
    const shape: [number, number, number] = [32, 40, 3];
    const random = seededRandom(9);
    // Smooth colour blobs with texture, as photos have, not white noise.
    const clean = new Float32Array(n * 32 * 40 * 3);
    for (let i = 0; i < clean.length; i++) {
      const p = Math.floor(i / 3) % (32 * 40);
      clean[i] = 0.5 + 0.3 * Math.sin(p / 37 + (i % 3)) * Math.cos(p / 91 + i / 5000) + 0.1 * random();
    }
    compare(clean, n, shape);
  });

  it('gives identical images the capped PSNR and an SSIM of 1, and no SSIM to images smaller than its window', () => {
    const image = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 17) / 17);
    const same = imageQuality(image, image, 1, [28, 28, 1]);
    expect(same.psnr[0]).toBe(psnrCap);
    expect(same.ssim![0]).toBeCloseTo(1, 12);
    const tiny = Float32Array.from({ length: 10 * 10 }, (_, i) => (i % 7) / 7);
    expect(
      imageQuality(
        tiny,
        tiny.map((v) => v / 2),
        1,
        [10, 10, 1],
      ).ssim,
    ).toBeNull();
  });
});
