import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../api/errors';
import { formatBytes } from '../api/units';
import { readUserFile } from '../app/user-file';
import { checkpointFiles, encodedBytes } from '../training/checkpoint-files';

/**
 * What an exported run's run.json and metrics.json hold, checked before anything is stored: an export is a file from
 * someone else, so every field is validated and every path must be a plain relative name inside the export's store/
 * folder. A path like `../../x` or `/etc` would make later reads, copies and deletes reach outside the data folder.
 */
export const runFormat = 'autoencoder-studio-run';
export const runFormatVersion = 1;

const segment = /^[\w][\w.-]*$/;

/** A relative path of plain names (letters, digits, `_`, `-`, `.`; no `..`, no leading dot), with / or \ between. */
const storePath = z
  .string()
  .min(1)
  .max(500)
  .refine((path) => path.split(/[\\/]/).every((part) => segment.test(part) && part !== '..'), {
    message: 'is not a plain relative path inside the export (it must not contain "..", start with "/" or a drive)',
  })
  .transform((path) => path.split(/[\\/]/).join('/'));

const epoch = z.number().int().min(0).max(10_000_000);
const loss = z.number().nullable();
const text = (max: number) => z.string().max(max);

export const runManifestSchema = z.object({
  format: z.literal(runFormat),
  version: z
    .number()
    .int()
    .min(1)
    .max(runFormatVersion, 'It was written by a newer Autoencoder Studio; update the app first.'),
  name: text(500),
  notes: text(100_000),
  tags: z.array(text(200)).max(1000),
  status: z.enum(['queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted']),
  engine: text(100).nullable(),
  epochsDone: epoch,
  finalTrainLoss: loss,
  finalTestLoss: loss,
  createdAt: text(100),
  startedAt: text(100).nullable(),
  finishedAt: text(100).nullable(),
  dataset: z.object({
    name: text(500),
    width: z.number().int().min(1).max(4096),
    height: z.number().int().min(1).max(4096),
    channels: z.number().int().min(1).max(4),
    classNames: z.array(text(500)).max(100_000),
    images: z.number().int().min(0),
  }),
  config: z.unknown(),
  checkpoints: z
    .array(
      z.object({
        epoch,
        path: storePath,
        /** A checkpoint inside its epoch: after how many of its batches (absent at the end of an epoch). */
        inside: z.object({ done: z.number().int().min(0), total: z.number().int().min(1) }).optional(),
      }),
    )
    .max(1_000_000),
  galleries: z
    .array(
      z.object({
        epoch,
        path: storePath,
        meta: z.object({ cacheIndices: z.array(z.number().int().min(0)), mse: z.array(z.number()) }),
      }),
    )
    .max(1_000_000),
});

export type RunManifest = z.infer<typeof runManifestSchema>;

const metricRow = z.object({
  scope: z.enum(['batch', 'epoch']),
  step: z.number().int().min(0),
  epoch,
  trainLoss: loss,
  testLoss: loss,
  // Exports made before the penalty was kept apart have neither.
  trainPenalty: loss.optional(),
  testPenalty: loss.optional(),
  // Exports made before learning rates were stored have none.
  learningRate: z.number().positive().nullable().optional(),
  testPsnr: z.number().nullable().optional(),
  testSsim: z.number().nullable().optional(),
  imagesPerSec: z.number().nullable(),
  elapsedMs: z.number().min(0),
});

export const runMetricsSchema = z.object({ epochs: z.array(metricRow), batches: z.array(metricRow) });
export type RunMetrics = z.infer<typeof runMetricsSchema>;

/** The first problem of a failed check, in words: "checkpoints.0.path is not a plain relative path …". */
export function describeManifestProblem(file: string, error: z.ZodError): UserError {
  const issue = error.issues[0];
  const where = issue?.path.join('.') || 'the file';
  return new UserError(
    'invalid_argument',
    `${file} is not a valid exported run: ${where} ${issue?.message ?? 'is wrong'}.`,
  );
}

/**
 * Refuses an export whose store/ folder holds anything but plain files and folders: a symbolic link there could point
 * anywhere on the disk, and would be read (or copied) as if it were the run's.
 */
export function checkPlainFiles(dir: string, shown = 'store'): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = lstatSync(path);
    if (info.isDirectory()) checkPlainFiles(path, `${shown}/${name}`);
    else if (!info.isFile()) {
      throw new UserError(
        'invalid_argument',
        `The export holds ${shown}/${name}, which is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; an exported run holds only plain files. Nothing was imported.`,
      );
    }
  }
}

/**
 * The files of an export's store/ that its manifest lists, each with the size it must have: a checkpoint's five files
 * (weights.bin and optimizer.bin as large as the weight specs in model.json and optimizer.json say), and each gallery
 * (its images times the dataset's image size). Only these are imported, so a crafted export cannot smuggle in
 * anything else, nor a sparse 8 GB file that copying would turn into 8 GB of disk. Refuses, in words, a file that is
 * missing or not the size it must be.
 */
export function listedStoreFiles(source: string, manifest: RunManifest): Array<{ path: string; bytes: number }> {
  const store = join(source, 'store');
  const sizeOf = (path: string) => {
    const info = lstatSync(join(store, path), { throwIfNoEntry: false });
    if (!info?.isFile()) {
      throw new UserError(
        'invalid_argument',
        `The export is incomplete: store/${path} is missing. Nothing was imported.`,
      );
    }
    return info.size;
  };
  const exactly = (path: string, expected: number | undefined, why: string) => {
    const actual = sizeOf(path);
    if (expected === undefined || actual !== expected) {
      throw new UserError(
        'invalid_argument',
        `store/${path} is ${formatBytes(actual)}, but ${expected === undefined ? `${why} cannot be read` : `${why} make it ${formatBytes(expected)}`}. ` +
          'The export was changed or damaged; nothing was imported.',
      );
    }
    return { path, bytes: actual };
  };
  const specsIn = (path: string, read: (json: unknown) => unknown) => {
    try {
      return read(
        JSON.parse(readUserFile(join(store, path), 100e6, `The export's store/${path}`).toString('utf8')),
      ) as Array<{ shape: number[]; dtype: string }>;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError('invalid_argument', `The export's store/${path} is not valid: ${(err as Error).message}`);
    }
  };
  const files: Array<{ path: string; bytes: number }> = [];
  for (const { path } of manifest.checkpoints) {
    const inside = (name: string) => `${path}/${name}`;
    const weights = specsIn(
      inside('model.json'),
      (json) => (json as { weightsManifest: Array<{ weights: unknown }> }).weightsManifest[0].weights,
    );
    const slots = specsIn(inside('optimizer.json'), (json) => json);
    for (const name of checkpointFiles) {
      if (name === 'weights.bin')
        files.push(exactly(inside(name), encodedBytes(weights), 'the weights model.json names'));
      else if (name === 'optimizer.bin')
        files.push(exactly(inside(name), encodedBytes(slots), "the optimizer's slots"));
      else files.push({ path: inside(name), bytes: sizeOf(inside(name)) });
    }
  }
  const { width, height, channels } = manifest.dataset;
  for (const gallery of manifest.galleries) {
    const images = gallery.meta.cacheIndices.length;
    files.push(
      exactly(
        gallery.path,
        images * width * height * channels,
        `its ${images} images of ${width}x${height}x${channels}`,
      ),
    );
  }
  return files;
}
