import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { ensureSampleDataset, sampleDatasetName } from '../../../src-main/datasets/sample-dataset';
import { createDataset, openPixelCache, removeAbandonedImports } from '../../../src-main/datasets/dataset-store';
import { listDatasets, insertDataset } from '../../../src-main/store/datasets';
import { classCounts, countImages, splitIndex } from '../../../src-main/store/images';
import { listDatasetSummaries } from '../../../src-main/datasets/dataset-catalog';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

describe('bundled sample dataset', () => {
  const tempDir = useTempDirs();

  it('registers 10k real images once, split 80/20 in every class, with pixels identical to the source', () => {
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    ensureSampleDataset(db, dataDir);
    ensureSampleDataset(db, dataDir);
    const [dataset] = listDatasets(db);
    expect(listDatasets(db)).toHaveLength(1);
    expect(dataset).toMatchObject({ name: sampleDatasetName, width: 28, height: 28, channels: 1 });
    expect(countImages(db, dataset.id, 'train')).toBe(8000);
    expect(countImages(db, dataset.id, 'test')).toBe(2000);
    for (const { split, count } of classCounts(db, dataset.id)) expect(count).toBe(split === 'train' ? 800 : 200);

    const source = loadFashionSample();
    const test = splitIndex(db, dataset.id, 'test');
    const cache = openPixelCache(dataDir, dataset);
    const pixels = cache.read(test.idx.subarray(0, 3));
    cache.close();
    for (let k = 0; k < 3; k++) {
      const i = test.idx[k];
      expect(pixels.subarray(k * 784, (k + 1) * 784)).toEqual(source.pixels.subarray(i * 784, (i + 1) * 784));
      expect(test.labels[k]).toBe(source.labels[i]);
    }
    expect(listDatasetSummaries(db)[0]).toMatchObject({ trainCount: 8000, testCount: 2000, runCount: 0 });
    db.close();
  });

  it('refuses a duplicate name without touching the existing dataset', () => {
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    ensureSampleDataset(db, dataDir);
    const spec = { name: sampleDatasetName, source: 'x', width: 1, height: 1, channels: 1 as const, classNames: ['a'] };
    expect(() =>
      createDataset(db, dataDir, spec, [{ split: 'train', label: 0, fileName: 'a' }], [new Uint8Array([1])]),
    ).toThrow(/already exists/);
    expect(countImages(db, listDatasets(db)[0].id)).toBe(10000);
    db.close();
  });

  it('removes what a crashed import left behind, and only that', () => {
    const dataDir = tempDir();
    const db = openDatabase(dataLayout(dataDir).database);
    ensureSampleDataset(db, dataDir);
    const leftover = insertDataset(db, {
      name: 'half',
      source: 'x',
      width: 1,
      height: 1,
      channels: 1,
      classNames: [],
      pixelFile: '',
    });
    mkdirSync(dataLayout(dataDir).datasetDir(leftover));
    writeFileSync(join(dataLayout(dataDir).datasetDir(leftover), 'pixels.u8.tmp'), 'partial');
    expect(readdirSync(join(dataDir, 'datasets'))).toHaveLength(2);
    // While its owner (this process) lives, it is an import in progress, not a leftover.
    removeAbandonedImports(db, dataDir);
    expect(readdirSync(join(dataDir, 'datasets'))).toHaveLength(2);
    // Its owner gone (a pid that cannot be alive), it is.
    db.prepare('UPDATE datasets SET owner = ? WHERE id = ?').run('2147483646:1', leftover);
    removeAbandonedImports(db, dataDir);
    expect(readdirSync(join(dataDir, 'datasets'))).toHaveLength(1);
    expect(db.prepare('SELECT count(*) AS n FROM datasets WHERE id = ?').get(leftover)).toEqual({ n: 0 });
    expect(listDatasets(db)).toHaveLength(1);
    expect(existsSync(join(dataDir, listDatasets(db)[0].pixelFile))).toBe(true);
    db.close();
  });
});
