import type { Database } from '../../src-main/store/database';
import { createDataset } from '../../src-main/datasets/dataset-store';
import { fashionMnistClasses, readSampleFiles } from '../../src-main/datasets/sample-dataset';
import type { NewImage } from '../../src-main/store/images';

/** Real Fashion-MNIST images (the bundled test split), small enough for a training test. */
export function loadFashionSample(): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const { pixels, labels } = readSampleFiles();
  return { pixels: pixels.data, labels: labels.data, count: pixels.shape[0] };
}

/** Stores the first `train + test` sample images as a dataset: the first `train` for training, the rest for test. */
export function createFashionSubset(
  db: Database,
  dataDir: string,
  train: number,
  test: number,
  name = 'Fashion subset',
  fileName: (i: number) => string = (i) => `image-${i}.png`,
): number {
  const { pixels, labels } = loadFashionSample();
  const n = train + test;
  const rows: NewImage[] = Array.from({ length: n }, (_, i) => ({
    idx: i,
    split: i < train ? 'train' : 'test',
    label: labels[i],
    fileName: fileName(i),
  }));
  return createDataset(
    db,
    dataDir,
    { name, source: 'test', width: 28, height: 28, channels: 1, classNames: fashionMnistClasses },
    rows,
    [pixels.subarray(0, n * 784)],
  );
}
