import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { importBuiltin } from '../../../src-main/datasets/builtin-import';
import type { ImportContext } from '../../../src-main/datasets/import-context';
import { listDatasets } from '../../../src-main/store/datasets';
import { classCounts, splitIndex } from '../../../src-main/store/images';
import { openPixelCache } from '../../../src-main/datasets/dataset-store';
import { parseIdx } from '../../../src-main/datasets/idx';
import { useTempDirs } from '../../helpers/temp-dir';

const debianFashion = '/usr/share/datasets/fashion-mnist';

function context(db: Database, dataDir: string): ImportContext {
  return { db, dataDir, signal: new AbortController().signal, onProgress: () => {} };
}

function idx(type: 'images' | 'labels', values: number[], count: number, size = 4): Buffer {
  const dims = type === 'images' ? [count, size, size] : [count];
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 8;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

/** Writes a tiny MNIST-shaped set: `train` and `test` images of 4x4 pixels whose value is their label. */
function writeSet(dir: string, train: number[], test: number[], gzip = false): void {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, bytes: Buffer) =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  for (const [prefix, labels] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    write(
      `${prefix}-images-idx3-ubyte`,
      idx(
        'images',
        labels.flatMap((l) => new Array<number>(16).fill(l)),
        labels.length,
      ),
    );
    write(`${prefix}-labels-idx1-ubyte`, idx('labels', labels, labels.length));
  }
}

describe('importing the standard sets from their IDX files', () => {
  const tempDir = useTempDirs();

  it("imports the real Fashion-MNIST from Debian's package with exact counts and class names", async () => {
    expect(existsSync(join(debianFashion, 'train-images-idx3-ubyte.gz')), 'apt-get install dataset-fashion-mnist').toBe(
      true,
    );
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const { datasetId, report } = await importBuiltin(context(db, dataDir), { dataset: 'fashion-mnist' });
    const [dataset] = listDatasets(db);
    expect(dataset).toMatchObject({ id: datasetId, name: 'Fashion-MNIST', width: 28, height: 28, channels: 1 });
    expect(dataset.classNames).toEqual([
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
    ]);
    expect(report).toMatchObject({ layout: 'idx-files', imported: 70000, skipped: [] });
    for (const { split, count } of classCounts(db, datasetId)) expect(count).toBe(split === 'train' ? 6000 : 1000);
    // Stored pixels are the file's bytes: compare the last test image with the source.
    const source = parseIdx(readFileSync(join(debianFashion, 't10k-images-idx3-ubyte.gz')), 't10k');
    const test = splitIndex(db, datasetId, 'test');
    const cache = openPixelCache(dataDir, dataset);
    expect(cache.read([test.idx[9999]])).toEqual(source.data.subarray(9999 * 784, 10000 * 784));
    cache.close();
    db.close();
  });

  it('imports MNIST-format files, plain or gzipped, from a chosen folder', async () => {
    const from = tempDir();
    writeSet(from, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9], [3, 1], true);
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    await importBuiltin(context(db, dataDir), { dataset: 'mnist', from, name: 'Tiny MNIST' });
    const [dataset] = listDatasets(db);
    expect(dataset).toMatchObject({
      name: 'Tiny MNIST',
      width: 4,
      height: 4,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
    const train = splitIndex(db, dataset.id, 'train');
    expect([...train.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]);
    const cache = openPixelCache(dataDir, dataset);
    expect([...cache.read([train.idx[7]])]).toEqual(new Array(16).fill(7));
    cache.close();
    db.close();
  });

  it.each<[string, (dir: string) => void, RegExp]>([
    [
      'a missing file',
      (dir) => (writeSet(dir, [1], [1]), writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), '')),
      /t10k-labels-idx1-ubyte is not an IDX file/,
    ],
    ['no files at all', () => {}, /has no train-images-idx3-ubyte or train-images-idx3-ubyte.gz/],
    [
      'labels that do not match the images',
      (dir) => (
        writeSet(dir, [1, 2], [1]),
        writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx('labels', [1, 2, 3], 3))
      ),
      /not a matching image and label file/,
    ],
    [
      'a label beyond the classes',
      (dir) => writeSet(dir, [1, 12], [1]),
      /has label 12 at item 1; MNIST has 10 classes/,
    ],
    [
      'a truncated image file',
      (dir) => (
        writeSet(dir, [1, 2], [1]),
        writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx('images', [1, 2, 3], 2))
      ),
      /truncated: its header promises 32 bytes/,
    ],
    [
      'images of zero width',
      (dir) => (
        writeSet(dir, [1, 2], [1]),
        writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx('images', [], 2, 0)),
        writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx('images', [], 1, 0))
      ),
      /are 0x0 pixels, as their IDX header says; an image needs at least 1x1/,
    ],
    [
      'a gzip bomb (far more data than the header declares)',
      (dir) => {
        writeSet(dir, [1, 2], [1], true);
        const bomb = Buffer.concat([idx('images', [], 2), Buffer.alloc(200e6)]);
        writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(bomb));
      },
      /unpacks to more data than its header declares \(48 bytes\)/,
    ],
    [
      'a header that declares more than can be held',
      (dir) => (
        writeSet(dir, [1, 2], [1]),
        writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx('images', [], 60000, 1000))
      ),
      /declares 60000 x 1000 x 1000 values \(60\.0 GB\), more than the 2\.1 GB/,
    ],
    [
      'a folder where a file should be',
      (dir) => (
        writeSet(dir, [1], [1]),
        rmSync(join(dir, 'train-labels-idx1-ubyte')),
        mkdirSync(join(dir, 'train-labels-idx1-ubyte'))
      ),
      /The IDX file .*train-labels-idx1-ubyte is a folder, not a file/,
    ],
  ])('refuses %s with a clear error and stores nothing', async (_, setUp, message) => {
    const from = tempDir();
    setUp(from);
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    await expect(importBuiltin(context(db, dataDir), { dataset: 'mnist', from })).rejects.toThrowError(message);
    expect(listDatasets(db)).toEqual([]);
    expect(existsSync(join(dataDir, 'datasets')) ? readdirSync(join(dataDir, 'datasets')) : []).toEqual([]);
    db.close();
  });

  it('sets aside a stratified test split, and says so, when the test files hold no images', async () => {
    const from = tempDir();
    writeSet(from, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], []);
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    const { datasetId, report } = await importBuiltin(context(db, dataDir), { dataset: 'mnist', from });
    expect(report.notes).toEqual([
      'The test files hold no images, so 2 training images (20% of each class, chosen with seed 1) were set aside as the test split.',
    ]);
    const test = splitIndex(db, datasetId, 'test');
    expect([...test.labels].sort()).toEqual([0, 1]);
    expect(splitIndex(db, datasetId, 'train').idx.length).toBe(8);
    db.close();
  });
});
