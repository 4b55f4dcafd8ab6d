import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BuiltinDataset, BuiltinImportArgs, ImportReport } from '../api/contract';
import { UserError } from '../api/errors';
import type { Split } from '../store/datasets';
import { maxIdxBytes, parseIdx, type IdxArray } from './idx';
import { stratifiedSplit } from './split';
import { folderImportDefaults } from './folder-import';
import { readUserFile } from '../app/user-file';
import { DatasetWriter, type NewImageRow } from './dataset-store';
import { fashionMnistClasses } from './sample-dataset';
import { cifar10Classes, locateCifar, readCifarSplit } from './cifar';
import { downloadBuiltin } from './downloads';
import { chooseDatasetName, throwIfImportCancelled, type ImportContext } from './import-context';

interface BuiltinSpec {
  title: string;
  classNames: string[];
  format: 'idx' | 'cifar';
  /** Where a system package keeps the files, if one exists (Debian's dataset-fashion-mnist). */
  systemDir?: string;
}

export const builtinDatasets: Record<BuiltinDataset, BuiltinSpec> = {
  mnist: { title: 'MNIST', format: 'idx', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    format: 'idx',
    classNames: fashionMnistClasses,
    systemDir: '/usr/share/datasets/fashion-mnist',
  },
  kmnist: {
    title: 'Kuzushiji-MNIST',
    format: 'idx',
    classNames: [
      'o (お)',
      'ki (き)',
      'su (す)',
      'tsu (つ)',
      'na (な)',
      'ha (は)',
      'ma (ま)',
      'ya (や)',
      're (れ)',
      'wo (を)',
    ],
  },
  cifar10: { title: 'CIFAR-10', format: 'cifar', classNames: cifar10Classes },
};

/** The folder to read a set from: the one given, else a system package's folder; undefined means download it. */
export function builtinSourceDir(args: BuiltinImportArgs): string | undefined {
  const spec = builtinDatasets[args.dataset];
  if (args.from) {
    const dir = resolve(args.from);
    if (!existsSync(dir)) throw new UserError('file_error', `The folder ${dir} does not exist.`);
    return dir;
  }
  if (spec.systemDir && existsSync(join(spec.systemDir, 'train-images-idx3-ubyte.gz'))) return spec.systemDir;
  return undefined;
}

interface SplitData {
  split: Split;
  pixels: Uint8Array;
  labels: Uint8Array;
  fileName: (i: number) => string;
}

function findIdxFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  throw new UserError(
    'file_error',
    `${dir} has no ${name} or ${name}.gz. It should hold the four original IDX files of the set.`,
  );
}

function readIdx(path: string): IdxArray {
  return parseIdx(readUserFile(path, maxIdxBytes, 'The IDX file'), path);
}

function readIdxSet(
  dir: string,
  spec: BuiltinSpec,
): { width: number; height: number; channels: 1; splits: SplitData[] } {
  const splits = (['train', 'test'] as const).map((split): SplitData & { shape: number[] } => {
    const prefix = split === 'train' ? 'train' : 't10k';
    const imagesFile = findIdxFile(dir, `${prefix}-images-idx3-ubyte`);
    const labelsFile = findIdxFile(dir, `${prefix}-labels-idx1-ubyte`);
    const images = readIdx(imagesFile);
    const labels = readIdx(labelsFile);
    if (images.shape.length !== 3 || labels.shape.length !== 1 || images.shape[0] !== labels.shape[0]) {
      throw new UserError(
        'file_error',
        `${imagesFile} holds ${images.shape.join('x')} values and ${labelsFile} ${labels.shape.join('x')}: they are not a matching image and label file.`,
      );
    }
    const bad = labels.data.findIndex((label) => label >= spec.classNames.length);
    if (bad >= 0) {
      throw new UserError(
        'file_error',
        `${labelsFile} has label ${labels.data[bad]} at item ${bad}; ${spec.title} has ${spec.classNames.length} classes.`,
      );
    }
    return {
      split,
      pixels: images.data,
      labels: labels.data,
      fileName: (i) => `${prefix}-images-idx3-ubyte#${i}`,
      shape: images.shape,
    };
  });
  const [, height, width] = splits[0].shape;
  if (height === 0 || width === 0) {
    throw new UserError(
      'file_error',
      `The images in ${dir} are ${width}x${height} pixels, as their IDX header says; an image needs at least 1x1.`,
    );
  }
  if (splits[1].shape[0] > 0 && (splits[1].shape[1] !== height || splits[1].shape[2] !== width)) {
    throw new UserError('file_error', 'The train and test images have different sizes.');
  }
  if (splits[0].shape[0] === 0) throw new UserError('file_error', `The training files in ${dir} hold no images.`);
  return { width, height, channels: 1, splits };
}

function readCifarSet(dir: string): { width: number; height: number; channels: 3; splits: SplitData[] } {
  const location = locateCifar(dir);
  const splits = (['train', 'test'] as const).map((split): SplitData => {
    const { pixels, labels } = readCifarSplit(location, split);
    const perBatch = 10_000;
    return {
      split,
      pixels,
      labels,
      fileName: (i) =>
        split === 'train' ? `data_batch_${Math.floor(i / perBatch) + 1}#${i % perBatch}` : `test_batch#${i}`,
    };
  });
  return { width: 32, height: 32, channels: 3, splits };
}

/**
 * Imports MNIST, Fashion-MNIST, KMNIST (IDX files: train -> train split, t10k -> test) or CIFAR-10 (data_batch_1..5
 * -> train, test_batch -> test) from their original files, downloading them first when no folder is given.
 */
export async function importBuiltin(
  ctx: ImportContext,
  args: BuiltinImportArgs,
): Promise<{ datasetId: number; report: ImportReport }> {
  const started = performance.now();
  const spec = builtinDatasets[args.dataset];
  let dir = builtinSourceDir(args);
  if (!dir) {
    dir = await downloadBuiltin(args.dataset, join(ctx.dataDir, 'downloads'), ctx.signal, ({ doneBytes, totalBytes }) =>
      ctx.onProgress({ phase: 'downloading', done: doneBytes, total: totalBytes ?? 0, skipped: 0 }),
    );
  }
  ctx.onProgress({ phase: 'scanning', done: 0, total: 0, skipped: 0 });
  const set = spec.format === 'idx' ? readIdxSet(dir, spec) : readCifarSet(dir);
  throwIfImportCancelled(ctx.signal);

  const total = set.splits.reduce((sum, s) => sum + s.labels.length, 0);
  const writer = new DatasetWriter(
    ctx.db,
    ctx.dataDir,
    {
      name: chooseDatasetName(ctx.db, args.name, spec.title),
      source: `${args.dataset}:${dir}`,
      width: set.width,
      height: set.height,
      channels: set.channels,
      classNames: spec.classNames,
    },
    total,
  );
  const notes: string[] = [];
  try {
    let done = 0;
    for (const { split, pixels, labels, fileName } of set.splits) {
      const rows: NewImageRow[] = Array.from(labels, (label, i) => ({ split, label, fileName: fileName(i) }));
      writer.add(pixels, rows);
      done += rows.length;
      ctx.onProgress({ phase: 'decoding', done, total, skipped: 0 });
      throwIfImportCancelled(ctx.signal);
    }
    const testCount = set.splits.find((s) => s.split === 'test')!.labels.length;
    if (testCount === 0) {
      // Without test images there is no test loss and no honest reconstruction; split as a folder import would.
      const splits = stratifiedSplit(writer.labels(), folderImportDefaults.testFraction, 1);
      writer.setSplits(splits);
      const moved = splits.filter((split) => split === 'test').length;
      notes.push(
        `The test files hold no images, so ${moved.toLocaleString('en-US')} training images ` +
          `(${folderImportDefaults.testFraction * 100}% of each class, chosen with seed 1) were set aside as the test split.`,
      );
    }
    ctx.onProgress({ phase: 'saving', done: total, total, skipped: 0 });
    const report: ImportReport = {
      source: dir,
      layout: spec.format === 'idx' ? 'idx-files' : 'cifar-batches',
      options: { dataset: args.dataset },
      found: total,
      imported: total,
      duplicates: 0,
      skipped: [],
      ...(notes.length ? { notes } : {}),
      elapsedMs: performance.now() - started,
    };
    return { datasetId: writer.commit(report), report };
  } catch (err) {
    writer.abort();
    throw err;
  }
}
