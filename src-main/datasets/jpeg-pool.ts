import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DecodedImage, DecodeOptions } from './image-decode';

export interface JpegJob {
  id: number;
  path: string;
  options: DecodeOptions;
}

/** A decoded image, or why this path cannot take the file (the caller then uses libvips). */
export type JpegResult = ({ id: number } & DecodedImage) | { id: number; declined: string };

const requireHere = createRequire(import.meta.url);

/**
 * The worker's file: the bundled out/main/jpeg-worker.js in the app (this module may sit in out/main/chunks), else
 * the .ts source run through tsx (CLI, browser mode, tests). Undefined when neither exists.
 */
function workerEntry(): { file: string; execArgv: string[] } | undefined {
  for (const candidate of ['./jpeg-worker.js', '../jpeg-worker.js']) {
    const built = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(built)) return { file: built, execArgv: [] };
  }
  const source = fileURLToPath(new URL('./jpeg-worker.ts', import.meta.url));
  if (!existsSync(source)) return undefined;
  return { file: source, execArgv: ['--import', pathToFileURL(requireHere.resolve('tsx')).href] };
}

/**
 * A few worker threads decoding plain JPEGs in parallel with the main thread. One pool lives for one import and is
 * closed at its end. A file it does not take (not a plain small JPEG, damaged, a crashed thread) is declined, and
 * the caller falls back to libvips, which names any problem.
 */
export class JpegPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (result: JpegResult) => void>();
  /** Job ids each thread has been given and not yet answered. */
  private readonly assigned = new Map<Worker, Set<number>>();
  private nextId = 1;
  private turn = 0;

  private constructor(file: string, execArgv: string[], size: number) {
    for (let i = 0; i < size; i++) this.workers.push(this.start(file, execArgv));
  }

  /** A pool, or undefined where the worker file is missing (then sharp decodes everything). */
  static open(size = Math.max(1, availableParallelism())): JpegPool | undefined {
    const entry = workerEntry();
    return entry && new JpegPool(entry.file, entry.execArgv, size);
  }

  private start(file: string, execArgv: string[]): Worker {
    const worker = new Worker(file, { execArgv });
    this.assigned.set(worker, new Set());
    worker.on('message', (result: JpegResult) => {
      this.assigned.get(worker)?.delete(result.id);
      this.pending.get(result.id)?.(result);
      this.pending.delete(result.id);
      // After a decoding failure the decoder's state cannot be trusted: replace the thread.
      if ('declined' in result && result.declined.startsWith('decoder:')) void worker.terminate();
    });
    // A crashed worker fails its jobs (they fall back to sharp) and is replaced.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      const index = this.workers.indexOf(worker);
      if (index < 0) return;
      for (const id of this.assigned.get(worker) ?? []) {
        this.pending.get(id)?.({ id, declined: 'the decoding thread stopped' });
        this.pending.delete(id);
      }
      this.assigned.delete(worker);
      this.workers[index] = this.start(file, execArgv);
    });
    return worker;
  }

  /** Reads, checks and decodes one file on a worker thread. */
  decodeFile(path: string, options: DecodeOptions): Promise<JpegResult> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length];
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.assigned.get(worker)?.add(id);
      worker.postMessage({ id, path, options } satisfies JpegJob);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
