import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { FolderImportArgs, ImportReport, SkippedFile } from '../api/contract';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import { DatasetWriter } from './dataset-store';
import { scanImageFolder } from './folder-scan';
import { decodeImageFile, SkipImage } from './image-decode';
import type { DecodedImage, DecodeOptions } from './decode-types';
import { stratifiedSplit } from './split';
import { JpegPool } from './jpeg-pool';
import { chooseDatasetName, throwIfImportCancelled, type ImportContext } from './import-context';

export const folderImportDefaults = {
  size: 64,
  fit: 'cover',
  channels: 3,
  background: '#ffffff',
  seed: 1,
  testFraction: 0.2,
} as const;

type Decoded = { ok: true; image: DecodedImage } | { ok: false; reason: string };

async function decodeOrSkip(path: string, options: DecodeOptions, jpegPool: JpegPool | undefined): Promise<Decoded> {
  try {
    return { ok: true, image: await decodeImageFile(path, options, jpegPool) };
  } catch (err) {
    if (err instanceof SkipImage) return { ok: false, reason: err.message };
    return { ok: false, reason: `cannot be decoded (${(err as Error).message})` };
  }
}

/**
 * Imports a folder of images sorted into class sub-folders as one dataset. Every file that cannot be used is listed
 * in the report with its reason and the import goes on; the dataset is stored whole, or — when cancelled or failed —
 * not at all. Decoding runs several files at a time (libvips works off the main thread); results are stored in
 * folder order, so the same folder always gives the same dataset.
 */
export async function importImageFolder(
  ctx: ImportContext,
  args: FolderImportArgs,
): Promise<{ datasetId: number; report: ImportReport }> {
  const started = performance.now();
  const root = resolve(args.path);
  const options: DecodeOptions = {
    size: args.size ?? folderImportDefaults.size,
    channels: args.channels ?? folderImportDefaults.channels,
    fit: args.fit ?? folderImportDefaults.fit,
    background: args.background ?? folderImportDefaults.background,
  };
  const seed = args.seed ?? folderImportDefaults.seed;
  ctx.onProgress({ phase: 'scanning', done: 0, total: 0, skipped: 0 });
  const scan = await scanImageFolder(root, args.exclude ?? []);
  throwIfImportCancelled(ctx.signal);

  const testSplit =
    args.testSplit ?? (scan.layout === 'train-test-folders' ? 'folders' : folderImportDefaults.testFraction);
  if (testSplit === 'folders' && scan.layout !== 'train-test-folders') {
    throw new UserError(
      'invalid_argument',
      'This folder has no train/ and test/ folders to take the split from; choose a test fraction instead.',
    );
  }
  const labels = scan.files.map((file) => scan.classNames.indexOf(file.className));

  const name = chooseDatasetName(ctx.db, args.name, basename(root) || 'Imported images');
  const writer = new DatasetWriter(
    ctx.db,
    ctx.dataDir,
    {
      name,
      source: root,
      width: options.size,
      height: options.size,
      channels: options.channels,
      classNames: scan.classNames,
    },
    scan.files.length,
  );
  const skipped: SkippedFile[] = [...scan.skipped];
  let duplicates = 0;
  const jpegPool = JpegPool.open();
  try {
    const firstWithHash = new Map<string, string>();
    const total = scan.files.length;
    const inFlight: Array<Promise<Decoded>> = [];
    const parallel = 2 * availableParallelism();
    for (let i = 0, next = 0; i < total; i++) {
      while (next < total && next < i + parallel)
        inFlight.push(decodeOrSkip(scan.files[next++].absolutePath, options, jpegPool));
      const result = await inFlight.shift()!;
      throwIfImportCancelled(ctx.signal);
      const file = scan.files[i];
      if (!result.ok) {
        skipped.push({ path: file.path, reason: result.reason });
      } else if (firstWithHash.has(result.image.contentHash)) {
        duplicates++;
        skipped.push({
          path: file.path,
          reason: `duplicate: same content as ${firstWithHash.get(result.image.contentHash)}`,
        });
      } else {
        firstWithHash.set(result.image.contentHash, file.path);
        writer.add(result.image.pixels, [
          {
            // A random split is drawn once all files are decoded, so skipped files cannot skew it.
            split: file.split ?? 'train',
            label: labels[i],
            fileName: file.path,
            contentHash: result.image.contentHash,
            origWidth: result.image.width,
            origHeight: result.image.height,
          },
        ]);
      }
      ctx.onProgress({ phase: 'decoding', done: i + 1, total, skipped: skipped.length });
    }
    if (writer.count === 0) {
      const reasons = [...new Set(skipped.map((s) => s.reason))].slice(0, 3).join('; ');
      throw new UserError(
        'invalid_argument',
        `None of the ${total} files in ${root} could be imported${reasons ? `: ${reasons}` : ''}.`,
      );
    }
    if (testSplit !== 'folders') writer.setSplits(stratifiedSplit(writer.labels(), testSplit, seed));
    ctx.onProgress({ phase: 'saving', done: total, total, skipped: skipped.length });
    const report: ImportReport = {
      source: root,
      layout: scan.layout,
      options: { ...options, testSplit, seed, exclude: args.exclude ?? [] },
      found: total + scan.skipped.length,
      imported: writer.count,
      duplicates,
      skipped,
      ...(Object.keys(scan.excludedFiles).length > 0
        ? {
            notes: Object.entries(scan.excludedFiles).map(
              ([name, count]) => `Left out ${countOf(count, 'file')} in the excluded class folder ${name}/, as asked.`,
            ),
          }
        : {}),
      elapsedMs: performance.now() - started,
    };
    return { datasetId: writer.commit(report), report };
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    await jpegPool?.close();
  }
}
