import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../src-main/store/database';
import { parseIdx } from '../../src-main/datasets/idx';
import { createDataset } from '../../src-main/datasets/dataset-store';
import { fashionMnistClasses } from '../../src-main/datasets/sample-dataset';
import { resourcesDir } from '../../src-main/app/paths';
import type { NewImage } from '../../src-main/store/images';

/** Real Fashion-MNIST images (the bundled test split), small enough for a training test. */
export function loadFashionSample(): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const dir = join(resourcesDir(), 'sample', 'fashion-mnist');
  const images = parseIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')), 'images');
  const labels = parseIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')), 'labels');
  return { pixels: images.data, labels: labels.data, count: images.shape[0] };
}

/** Stores the first `train + test` sample images as a dataset: the first `train` for training, the rest for test. */
export function createFashionSubset(
  db: Database,
  dataDir: string,
  train: number,
  test: number,
  name = 'Fashion subset',
): number {
  const { pixels, labels } = loadFashionSample();
  const n = train + test;
  const rows: NewImage[] = Array.from({ length: n }, (_, i) => ({
    idx: i,
    split: i < train ? 'train' : 'test',
    label: labels[i],
    fileName: `image-${i}.png`,
  }));
  return createDataset(
    db,
    dataDir,
    { name, source: 'test', width: 28, height: 28, channels: 1, classNames: fashionMnistClasses },
    rows,
    [pixels.subarray(0, n * 784)],
  );
}
