import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { builtEntry } from '../app/paths';
import type { DecodedImage, DecodeOptions } from './decode-types';

export interface JpegJob {
  id: number;
  path: string;
  options: DecodeOptions;
}

/** libjpeg-turbo when its addon is built (the default), or mozjpeg compiled to WebAssembly. */
export type JpegDecoder = 'native' | 'wasm';

/** A decoded image, or why this path cannot take the file (the caller then uses libvips). */
export type JpegResult = ({ id: number } & DecodedImage) | { id: number; declined: string };

/** The threads' file: the bundled out/main/jpeg-worker.js, in the app, the CLI and the tests alike. */
function workerEntry(): { file: string; execArgv: string[] } | undefined {
  const built = builtEntry('jpeg-worker');
  return existsSync(built) ? { file: built, execArgv: [] } : undefined;
}

/**
 * A few worker threads decoding plain JPEGs in parallel with the main thread (jpeg-worker.ts). One pool lives for one
 * import and is closed at its end. A file it does not take (not a plain small JPEG, damaged, a crashed thread) is
 * declined, and the caller falls back to libvips, which names any problem.
 */
export class JpegPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (result: JpegResult) => void>();
  /** Job ids each thread has been given and not yet answered. */
  private readonly assigned = new Map<Worker, Set<number>>();
  /** Threads that have answered at least once, so are known to start. */
  private readonly started = new WeakSet<Worker>();
  /** Set when a thread stops before answering anything: threads cannot start here, so none are restarted. */
  private broken = false;
  private nextId = 1;
  private turn = 0;

  private constructor(
    private readonly file: string,
    private readonly execArgv: string[],
    private readonly decoder: JpegDecoder,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.start());
  }

  /**
   * A pool, or undefined where the worker file is missing (then sharp decodes everything). `decoder: 'wasm'` skips
   * the native decoder even where it is built (to compare the two).
   */
  static open(size = Math.max(1, availableParallelism()), decoder: JpegDecoder = 'native'): JpegPool | undefined {
    const entry = workerEntry();
    return entry && new JpegPool(entry.file, entry.execArgv, decoder, size);
  }

  private start(): Worker {
    const worker = new Worker(this.file, { execArgv: this.execArgv, workerData: { decoder: this.decoder } });
    this.assigned.set(worker, new Set());
    worker.on('message', (result: JpegResult) => {
      this.started.add(worker);
      this.assigned.get(worker)?.delete(result.id);
      this.pending.get(result.id)?.(result);
      this.pending.delete(result.id);
      // After a decoding failure the decoder's state cannot be trusted: replace the thread.
      if ('declined' in result && result.declined.startsWith('decoder:')) void worker.terminate();
    });
    // A crashed worker fails its jobs (they fall back to sharp) and is replaced, unless it never started at all.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      const index = this.workers.indexOf(worker);
      if (index < 0) return;
      for (const id of this.assigned.get(worker) ?? []) {
        this.pending.get(id)?.({ id, declined: 'the decoding thread stopped' });
        this.pending.delete(id);
      }
      this.assigned.delete(worker);
      if (!this.started.has(worker)) this.broken = true;
      if (this.broken) this.workers.splice(index, 1);
      else this.workers[index] = this.start();
    });
    return worker;
  }

  /** Reads, checks and decodes one file on a worker thread. */
  decodeFile(path: string, options: DecodeOptions): Promise<JpegResult> {
    const id = this.nextId++;
    if (this.broken || this.workers.length === 0) {
      return Promise.resolve({ id, declined: 'the decoding threads could not start' });
    }
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
