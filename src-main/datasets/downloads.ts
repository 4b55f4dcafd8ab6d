import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { extract } from 'tar';
import type { BuiltinDataset } from '../api/contract';
import { UserError } from '../api/errors';

export interface DownloadFile {
  name: string;
  md5: string;
}

export interface DownloadSource {
  /** Where the files are published by their authors. */
  base: string;
  files: DownloadFile[];
  /** An archive to unpack after checking it. */
  unpack?: string;
}

/** The official locations and checksums (as published with each set). */
export const downloadSources: Record<BuiltinDataset, DownloadSource> = {
  mnist: {
    base: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    ],
  },
  'fashion-mnist': {
    base: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
  },
  kmnist: {
    base: 'http://codh.rois.ac.jp/kmnist/dataset/kmnist/',
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: 'bdb82020997e1d708af4cf47b453dcf7' },
      { name: 'train-labels-idx1-ubyte.gz', md5: 'e144d726b3acfaa3e44228e80efcd344' },
      { name: 't10k-images-idx3-ubyte.gz', md5: '5c965bf0a639b31b8f53240b1b52f4d7' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: '7320c461ea6c1c855c0b718fb2a4b134' },
    ],
  },
  cifar10: {
    base: 'https://www.cs.toronto.edu/~kriz/',
    files: [{ name: 'cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a' }],
    unpack: 'cifar-10-python.tar.gz',
  },
};

/** Points every download at a mirror (`<mirror>/<set>/<file>`), for offline sites and for tests. */
export const downloadMirrorEnv = 'AE_STUDIO_DOWNLOAD_MIRROR';

async function md5Of(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DownloadProgress {
  doneBytes: number;
  totalBytes: number | null;
}

function networkError(url: URL, err: unknown): UserError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? cause?.message ?? (err as Error).message;
  return new UserError(
    'file_error',
    `Cannot reach ${url.host} (${code}). You seem to be offline: download the files from ${url.origin} yourself and import them from their folder.`,
  );
}

/**
 * Fetches one file into `dir`, resuming a partial download with an HTTP range request, and keeps it only if its MD5
 * matches the published one.
 */
async function fetchFile(
  base: string,
  file: DownloadFile,
  dir: string,
  signal: AbortSignal,
  onBytes: (bytes: number, total: number | null) => void,
): Promise<void> {
  const target = join(dir, file.name);
  if (existsSync(target) && (await md5Of(target)) === file.md5)
    return onBytes(statSync(target).size, statSync(target).size);
  const partial = `${target}.part`;
  const have = existsSync(partial) ? statSync(partial).size : 0;
  const url = new URL(file.name, base);
  let response: Response;
  try {
    response = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal });
  } catch (err) {
    if (signal.aborted)
      throw new UserError('cancelled', 'The download was cancelled; what was fetched is kept for next time.');
    throw networkError(url, err);
  }
  if (response.status === 416 && have > 0) {
    // The partial file is already whole.
  } else if (!response.ok) {
    throw new UserError(
      'file_error',
      `${url.host} answered "${response.status} ${response.statusText}" for ${file.name}; try again later.`,
    );
  }
  const resumed = response.status === 206;
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length + (resumed ? have : 0) : null;
  const fd = openSync(partial, resumed || response.status === 416 ? 'a' : 'w');
  let done = resumed || response.status === 416 ? have : 0;
  try {
    if (response.status !== 416 && response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        let written = 0;
        while (written < chunk.length) written += writeSync(fd, chunk, written);
        done += chunk.length;
        onBytes(done, total);
      }
    }
  } catch (err) {
    if (signal.aborted)
      throw new UserError('cancelled', 'The download was cancelled; what was fetched is kept for next time.');
    throw networkError(url, err);
  } finally {
    closeSync(fd);
  }
  if ((await md5Of(partial)) !== file.md5) {
    rmSync(partial, { force: true });
    throw new UserError(
      'file_error',
      `The download of ${file.name} is damaged (its checksum does not match the published one); try again.`,
    );
  }
  renameSync(partial, target);
}

/** Downloads (or finds already downloaded and intact) every file of `source` into `dir`, then unpacks its archive. */
export async function downloadFiles(
  source: DownloadSource,
  dir: string,
  signal: AbortSignal,
  onProgress: (progress: DownloadProgress) => void,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const finished: number[] = [];
  for (const [i, file] of source.files.entries()) {
    await fetchFile(source.base, file, dir, signal, (bytes, total) => {
      const before = finished.reduce((a, b) => a + b, 0);
      onProgress({ doneBytes: before + bytes, totalBytes: total === null ? null : before + total });
      if (total !== null && bytes >= total) finished[i] = total;
    });
  }
  if (source.unpack) {
    try {
      await extract({ file: join(dir, source.unpack), cwd: dir, strict: true });
    } catch (err) {
      throw new UserError('file_error', `${source.unpack} cannot be unpacked: ${(err as Error).message}`);
    }
  }
}

/** Downloads a standard set into `downloadsDir/<set>` (from the mirror in $AE_STUDIO_DOWNLOAD_MIRROR if set). */
export async function downloadBuiltin(
  set: BuiltinDataset,
  downloadsDir: string,
  signal: AbortSignal,
  onProgress: (progress: DownloadProgress) => void,
): Promise<string> {
  const mirror = process.env[downloadMirrorEnv];
  const source = downloadSources[set];
  const dir = join(downloadsDir, set);
  await downloadFiles(
    mirror ? { ...source, base: `${mirror.replace(/\/$/, '')}/${set}/` } : source,
    dir,
    signal,
    onProgress,
  );
  return dir;
}
