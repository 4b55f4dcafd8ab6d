import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src-main/store/database';
import { dataLayout } from '../../../src-main/app/paths';
import { importImageFolder } from '../../../src-main/datasets/folder-import';
import type { ImportContext } from '../../../src-main/datasets/import-context';
import { listDatasets, getDatasetReport } from '../../../src-main/store/datasets';
import { listImages, countImages, splitIndex } from '../../../src-main/store/images';
import { openPixelCache } from '../../../src-main/datasets/dataset-store';
import type { FolderImportArgs } from '../../../src-main/api/contract';
import { makeImage, pngBomb, writeTree } from '../../helpers/image-folder';
import { useTempDirs } from '../../helpers/temp-dir';

function context(db: Database, dataDir: string, signal = new AbortController().signal): ImportContext {
  return { db, dataDir, signal, onProgress: () => {} };
}

function tableCounts(db: Database) {
  return ['datasets', 'images'].map((t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
}

describe('importing an image folder', () => {
  const tempDir = useTempDirs();

  function open() {
    const dataDir = tempDir();
    return { dataDir, db: openDatabase(dataLayout(dataDir).database) };
  }

  it('imports class folders in every supported format, nested folders included, with a stratified split', async () => {
    const folder = tempDir();
    const files: Record<string, Buffer> = {};
    const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'] as const;
    for (let i = 0; i < 12; i++) {
      files[`happy/img-${i}.${formats[i % 6]}`] = await makeImage(formats[i % 6], 30 + i, 20, { left: 200 + i });
      files[`angry/deeper/still angry/ünï cødé, ${i}.png`] = await makeImage('png', 20, 30 + i, {
        left: i,
        right: 100,
      });
    }
    writeTree(folder, files);
    const { db, dataDir } = open();
    const { datasetId, report } = await importImageFolder(context(db, dataDir), {
      path: folder,
      size: 16,
      channels: 1,
      testSplit: 0.25,
    });

    const [dataset] = listDatasets(db);
    expect(dataset).toMatchObject({
      id: datasetId,
      width: 16,
      height: 16,
      channels: 1,
      classNames: ['angry', 'happy'],
    });
    expect(report).toMatchObject({ layout: 'class-folders', imported: 24, duplicates: 0, skipped: [] });
    expect(countImages(db, datasetId, 'test')).toBe(6);
    const test = splitIndex(db, datasetId, 'test');
    expect([...test.labels].filter((l) => l === 0)).toHaveLength(3);
    const rows = listImages(db, datasetId, 'train', 0, 100).concat(listImages(db, datasetId, 'test', 0, 100));
    expect(rows.map((r) => r.fileName)).toContain('angry/deeper/still angry/ünï cødé, 3.png');
    expect(getDatasetReport(db, datasetId)).toMatchObject({ imported: 24 });
    // Pixels are the images themselves: happy images are bright on the left, angry ones dark.
    const cache = openPixelCache(dataDir, dataset);
    const happy = rows.find((r) => r.fileName === 'happy/img-0.png')!;
    const angry = rows.find((r) => r.fileName.endsWith('cødé, 0.png'))!;
    const [h, a] = [cache.read([happy.idx]), cache.read([angry.idx])];
    cache.close();
    expect(h[16 * 8]).toBeGreaterThan(180);
    expect(a[16 * 8]).toBeLessThan(30);
    db.close();
  });

  it('skips every bad file with a plain reason and imports the rest', async () => {
    const folder = tempDir();
    const good = await makeImage('jpeg', 300, 200);
    writeTree(folder, {
      'cats/good.jpg': good,
      'cats/copy of good.jpg': good,
      'cats/empty.jpg': '',
      'cats/truncated.jpg': good.subarray(0, Math.floor(good.length / 2)),
      'cats/notes.jpg': 'this is a text file with a .jpg name',
      'cats/.DS_Store': Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]),
      'cats/huge.png': pngBomb(),
      'cats/drawing.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
      'dogs/dog.png': await makeImage('png', 50, 30),
      'stray.png': await makeImage('png', 10, 10),
    });
    symlinkSync(join(folder, 'cats'), join(folder, 'cats', 'loop'));
    symlinkSync(join(folder, 'nowhere.png'), join(folder, 'dogs', 'broken.png'));
    const { db, dataDir } = open();
    const { datasetId, report } = await importImageFolder(context(db, dataDir), {
      path: folder,
      size: 8,
      testSplit: 0,
    });
    expect(countImages(db, datasetId)).toBe(2);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toEqual({
      'stray.png': expect.stringMatching(/not inside a class folder/),
      'cats/good.jpg': 'duplicate: same content as cats/copy of good.jpg',
      'cats/empty.jpg': 'empty file (0 bytes)',
      'cats/truncated.jpg': 'truncated image (the file ends too early)',
      'cats/notes.jpg': expect.stringMatching(/^not an image/),
      'cats/.DS_Store': expect.stringMatching(/^not an image/),
      'cats/huge.png': 'too many pixels (30000x30000; the limit is 50 megapixels)',
      'cats/drawing.svg': expect.stringMatching(/^unsupported format \(svg\)/),
      'cats/loop/': expect.stringMatching(/link to a place inside the imported folder/),
      'dogs/broken.png': expect.stringMatching(/missing or a broken link/),
    });
    expect(report.duplicates).toBe(1);
    db.close();
  });

  it('imports each image once, under the class of its real place, whatever links point into the folder', async () => {
    const folder = tempDir();
    const outside = tempDir();
    const png = (grey: number) => makeImage('png', 12, 12, { left: grey, right: grey });
    writeTree(folder, {
      'train/a/a1.png': await png(10),
      'train/b/b1.png': await png(20),
      'train/b/b2.png': await png(30),
      'test/a/a2.png': await png(40),
      'test/b/b3.png': await png(50),
    });
    writeTree(outside, { 'c1.png': await png(60), 'c2.png': await png(70) });
    // A link in class a back up to train/ used to be walked first, taking b's images into class a.
    symlinkSync('..', join(folder, 'train', 'a', 'loop'));
    symlinkSync(join(folder, 'train', 'b', 'b1.png'), join(folder, 'train', 'a', 'alias.png'));
    // A link to a folder outside the imported one is followed: it is the user's way to add images.
    symlinkSync(outside, join(folder, 'train', 'c'));
    const { db, dataDir } = open();
    const { datasetId, report } = await importImageFolder(context(db, dataDir), { path: folder, size: 8 });
    const rows = db
      .prepare('SELECT file_name AS fileName, label FROM images WHERE dataset_id = ? ORDER BY file_name')
      .all(datasetId) as Array<{ fileName: string; label: number }>;
    const classNames = listDatasets(db)[0].classNames;
    expect(rows.map((r) => [r.fileName, classNames[r.label]])).toEqual([
      ['test/a/a2.png', 'a'],
      ['test/b/b3.png', 'b'],
      ['train/a/a1.png', 'a'],
      ['train/b/b1.png', 'b'],
      ['train/b/b2.png', 'b'],
      ['train/c/c1.png', 'c'],
      ['train/c/c2.png', 'c'],
    ]);
    expect(report.duplicates).toBe(0);
    expect(Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]))).toEqual({
      'train/a/loop/': expect.stringMatching(/link to a place inside the imported folder/),
      'train/a/alias.png': expect.stringMatching(/link to a place inside the imported folder/),
    });
    db.close();
  });

  it('says why a pipe and a file whose name is not UTF-8 are skipped', async () => {
    const folder = tempDir();
    writeTree(folder, { 'cats/ok.png': await makeImage('png', 10, 10), 'dogs/ok.png': await makeImage('png', 12, 8) });
    execFileSync('mkfifo', [join(folder, 'cats', 'pipe.png')]);
    // Latin-1 "café.png", as an old camera or another system may have written it: not valid UTF-8.
    const latin1Name = Buffer.concat([Buffer.from(join(folder, 'dogs') + '/'), Buffer.from('caf\xe9.png', 'latin1')]);
    writeFileSync(latin1Name, await makeImage('png', 10, 10));
    const { db, dataDir } = open();
    const { datasetId, report } = await importImageFolder(context(db, dataDir), { path: folder, size: 8 });
    expect(countImages(db, datasetId)).toBe(2);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toEqual({
      'cats/pipe.png': 'not a regular file (a pipe, device or socket)',
      'dogs/caf\ufffd.png': expect.stringMatching(/name is not valid UTF-8 .*rename it to import it/),
    });
    db.close();
  });

  it('honours EXIF orientation, fit and alpha', async () => {
    const folder = tempDir();
    writeTree(folder, {
      // Landscape pixels shown portrait: orientation 6 turns the white left half into the top half.
      'x/rotated.jpg': await makeImage('jpeg', 40, 20, { left: 255, right: 0, orientation: 6 }),
      'x/transparent.png': await makeImage('png', 10, 10, { alpha: 0 }),
    });
    const { db, dataDir } = open();
    const { datasetId } = await importImageFolder(context(db, dataDir), {
      path: folder,
      size: 8,
      channels: 3,
      fit: 'stretch',
      background: '#ff0000',
      testSplit: 0,
    });
    const rows = listImages(db, datasetId, 'train', 0, 10);
    const rotated = rows.find((r) => r.fileName === 'x/rotated.jpg')!;
    const stored = db.prepare('SELECT orig_width AS w, orig_height AS h FROM images WHERE id = ?').get(rotated.id);
    expect(stored).toEqual({ w: 20, h: 40 });
    const cache = openPixelCache(dataDir, listDatasets(db)[0]);
    const r = cache.read([rotated.idx]);
    const t = cache.read([rows.find((row) => row.fileName === 'x/transparent.png')!.idx]);
    cache.close();
    expect(r[0]).toBeGreaterThan(200); // top-left: white
    expect(r[r.length - 3]).toBeLessThan(50); // bottom-right: black
    expect([t[0], t[1], t[2]]).toEqual([255, 0, 0]); // transparency flattened onto the red background
    db.close();
  });

  it('takes the split from train/ and test/ folders and leaves out excluded classes', async () => {
    const folder = tempDir();
    const files: Record<string, Buffer> = {};
    for (const split of ['train', 'test']) {
      for (const cls of ['happy', 'sad', 'unknown']) {
        for (let i = 0; i < (split === 'train' ? 3 : 1); i++)
          files[`${split}/${cls}/${i}.png`] = await makeImage('png', 12, 12, {
            left: 10 * i + cls.length,
            right: split.length,
          });
      }
    }
    writeTree(folder, files);
    const { db, dataDir } = open();
    const { datasetId, report } = await importImageFolder(context(db, dataDir), {
      path: folder,
      exclude: ['unknown'],
      size: 8,
    });
    expect(report.layout).toBe('train-test-folders');
    expect(listDatasets(db)[0].classNames).toEqual(['happy', 'sad']);
    expect(countImages(db, datasetId, 'train')).toBe(6);
    expect(countImages(db, datasetId, 'test')).toBe(2);
    // The report says what the exclusion left out (train/unknown and test/unknown), beside "8 of 8 files".
    expect(report).toMatchObject({ found: 8, imported: 8 });
    expect(report.notes).toEqual(['Left out 4 files in the excluded class folder unknown/, as asked.']);
    db.close();
  });

  it.each<[string, (folder: string) => Promise<FolderImportArgs>, RegExp]>([
    ['a missing folder', async (folder) => ({ path: join(folder, 'nope') }), /does not exist/],
    [
      'a file instead of a folder',
      async (folder) => (writeTree(folder, { 'a.png': await makeImage('png', 4, 4) }), { path: join(folder, 'a.png') }),
      /is a file, not a folder/,
    ],
    [
      'a folder without class folders',
      async (folder) => (writeTree(folder, { 'a.png': await makeImage('png', 4, 4) }), { path: folder }),
      /No class folders found/,
    ],
    [
      'only bad files',
      async (folder) => (writeTree(folder, { 'a/x.jpg': 'text', 'a/y.jpg': '' }), { path: folder }),
      /None of the 2 files .* could be imported: not an image/,
    ],
    [
      'an unknown excluded class',
      async (folder) => (
        writeTree(folder, { 'a/x.png': await makeImage('png', 4, 4) }),
        { path: folder, exclude: ['b'] }
      ),
      /no class folder "b"/,
    ],
    [
      'a folder split without train/test',
      async (folder) => (
        writeTree(folder, { 'a/x.png': await makeImage('png', 4, 4) }),
        { path: folder, testSplit: 'folders' }
      ),
      /no train\/ and test\/ folders/,
    ],
  ])('refuses %s with a clear error and stores nothing', async (_, setUp, message) => {
    const { db, dataDir } = open();
    const args = await setUp(tempDir());
    const before = tableCounts(db);
    await expect(importImageFolder(context(db, dataDir), args)).rejects.toThrowError(message);
    expect(tableCounts(db)).toEqual(before);
    expect(existsSync(join(dataDir, 'datasets')) ? readdirSync(join(dataDir, 'datasets')) : []).toEqual([]);
    db.close();
  });

  it('stores nothing when cancelled part-way', async () => {
    const folder = tempDir();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`c/${i}.png`] = await makeImage('png', 16, 16, { left: i });
    writeTree(folder, files);
    const { db, dataDir } = open();
    const controller = new AbortController();
    const ctx: ImportContext = {
      db,
      dataDir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 10) controller.abort();
      },
    };
    await expect(importImageFolder(ctx, { path: folder })).rejects.toMatchObject({ code: 'cancelled' });
    expect(tableCounts(db)).toEqual([0, 0]);
    expect(readdirSync(join(dataDir, 'datasets'))).toEqual([]);
    db.close();
  });
});
