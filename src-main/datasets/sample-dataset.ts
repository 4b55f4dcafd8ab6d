import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database';
import { getSetting, setSetting } from '../store/settings';
import { findDatasetByName, isNameTaken } from '../store/datasets';
import { resourcesDir } from '../app/paths';
import type { NewImage } from '../store/images';
import { parseIdx, type IdxArray } from './idx';
import { createDataset } from './dataset-store';

export const sampleDatasetName = 'Fashion-MNIST sample';
export const fashionMnistClasses = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const registeredKey = 'sample_dataset_registered';
/** Every 5th image of each class goes to the test split: a stratified 80/20 split that never changes. */
const testEvery = 5;

/** The bundled Fashion-MNIST test split: 10,000 28x28 images and their labels. */
export function readSampleFiles(): { pixels: IdxArray; labels: IdxArray } {
  const dir = join(resourcesDir(), 'sample', 'fashion-mnist');
  return {
    pixels: parseIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')), 't10k-images-idx3-ubyte.gz'),
    labels: parseIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')), 't10k-labels-idx1-ubyte.gz'),
  };
}

/**
 * Registers the bundled Fashion-MNIST test split (10k images) once per data folder, so a new user can train within
 * a minute of opening the app. A user who deletes it is not given it back.
 */
export function ensureSampleDataset(db: Database, dataDir: string): void {
  if (getSetting(db, registeredKey)) return;
  if (findDatasetByName(db, sampleDatasetName)) {
    setSetting(db, registeredKey, new Date().toISOString());
    return;
  }
  // Another process (a second window, a CLI command started at the same moment) is storing it right now.
  if (isNameTaken(db, sampleDatasetName)) return;
  const { pixels, labels } = readSampleFiles();
  const [count, height, width] = pixels.shape;
  const seenPerClass = new Array<number>(fashionMnistClasses.length).fill(0);
  const rows: NewImage[] = [];
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    const split = seenPerClass[label]++ % testEvery === testEvery - 1 ? 'test' : 'train';
    rows.push({ idx: i, split, label, fileName: `t10k-${String(i).padStart(5, '0')}.png` });
  }
  createDataset(
    db,
    dataDir,
    {
      name: sampleDatasetName,
      source: 'sample:fashion-mnist-t10k',
      width,
      height,
      channels: 1,
      classNames: fashionMnistClasses,
    },
    rows,
    [pixels.data],
  );
  setSetting(db, registeredKey, new Date().toISOString());
}
