import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BuiltinDataset, BuiltinImportArgs, ImportReport } from '../api/contract';
import { UserError } from '../api/errors';
import { parseIdx, type IdxArray } from './idx';
import { DatasetWriter, type NewImageRow } from './dataset-store';
import { fashionMnistClasses } from './sample-dataset';
import { chooseDatasetName, throwIfCancelled, type ImportContext } from './import-context';

interface BuiltinSpec {
  title: string;
  classNames: string[];
  /** Where a system package keeps the files, if one exists (Debian's dataset-fashion-mnist). */
  systemDir?: string;
}

export const builtinDatasets: Record<BuiltinDataset, BuiltinSpec> = {
  mnist: { title: 'MNIST', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    classNames: fashionMnistClasses,
    systemDir: '/usr/share/datasets/fashion-mnist',
  },
  kmnist: {
    title: 'Kuzushiji-MNIST',
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
};

const files = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

function findFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  throw new UserError(
    'file_error',
    `${dir} has no ${name} or ${name}.gz. It should hold the four original IDX files of the set.`,
  );
}

function readIdx(path: string): IdxArray {
  try {
    return parseIdx(readFileSync(path), path);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError('file_error', `${path} cannot be read: ${(err as Error).message}`);
  }
}

/** The folder to read a set from: the one given, else a system package's folder; a UserError when neither exists. */
export function builtinSourceDir(args: BuiltinImportArgs): string {
  const spec = builtinDatasets[args.dataset];
  if (args.from) return resolve(args.from);
  if (spec.systemDir && existsSync(spec.systemDir)) return spec.systemDir;
  throw new UserError(
    'invalid_argument',
    `Say where the ${spec.title} files are: --from <folder with the four IDX files>.`,
  );
}

/** Imports MNIST, Fashion-MNIST or KMNIST from their four original IDX files: train -> train split, t10k -> test. */
export async function importBuiltinIdx(
  ctx: ImportContext,
  args: BuiltinImportArgs,
): Promise<{ datasetId: number; report: ImportReport }> {
  const started = performance.now();
  const spec = builtinDatasets[args.dataset];
  const dir = resolve(args.from ?? spec.systemDir ?? '');
  if (!args.from && !(spec.systemDir && existsSync(spec.systemDir))) {
    throw new UserError(
      'invalid_argument',
      `Say where the ${spec.title} files are: --from <folder with the four IDX files>.`,
    );
  }
  ctx.onProgress({ phase: 'scanning', done: 0, total: 0, skipped: 0 });
  const parts = (['train', 'test'] as const).map((split) => {
    const [imagesFile, labelsFile] = files[split].map((name) => findFile(dir, name));
    const images = readIdx(imagesFile);
    const labels = readIdx(labelsFile);
    if (images.shape.length !== 3 || labels.shape.length !== 1 || images.shape[0] !== labels.shape[0]) {
      throw new UserError(
        'file_error',
        `${imagesFile} holds ${images.shape.join('x')} values and ${labelsFile} ${labels.shape.join('x')}: they are not a matching image and label file.`,
      );
    }
    const bad = labels.data.findIndex((label) => label >= spec.classNames.length);
    if (bad >= 0)
      throw new UserError(
        'file_error',
        `${labelsFile} has label ${labels.data[bad]} at item ${bad}; ${spec.title} has ${spec.classNames.length} classes.`,
      );
    return { split, images, labels, imagesFile };
  });
  const [height, width] = parts[0].images.shape.slice(1);
  if (parts[1].images.shape[1] !== height || parts[1].images.shape[2] !== width) {
    throw new UserError('file_error', 'The train and test images have different sizes.');
  }
  throwIfCancelled(ctx.signal);

  const total = parts[0].labels.data.length + parts[1].labels.data.length;
  const writer = new DatasetWriter(ctx.db, ctx.dataDir, {
    name: chooseDatasetName(ctx.db, args.name, spec.title),
    source: `${args.dataset}:${dir}`,
    width,
    height,
    channels: 1,
    classNames: spec.classNames,
  });
  try {
    let done = 0;
    for (const { split, images, labels, imagesFile } of parts) {
      const prefix = imagesFile.split(/[\\/]/).pop()!.replace(/\.gz$/, '');
      const rows: NewImageRow[] = Array.from(labels.data, (label, i) => ({ split, label, fileName: `${prefix}#${i}` }));
      writer.add(images.data, rows);
      done += rows.length;
      ctx.onProgress({ phase: 'decoding', done, total, skipped: 0 });
      throwIfCancelled(ctx.signal);
    }
    ctx.onProgress({ phase: 'saving', done: total, total, skipped: 0 });
    const report: ImportReport = {
      source: dir,
      layout: 'idx-files',
      options: { dataset: args.dataset },
      found: total,
      imported: total,
      duplicates: 0,
      skipped: [],
      elapsedMs: performance.now() - started,
    };
    return { datasetId: writer.commit(report), report };
  } catch (err) {
    writer.abort();
    throw err;
  }
}
