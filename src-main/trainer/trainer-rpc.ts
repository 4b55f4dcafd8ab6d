import type { GpuAdapter } from '../api/contract';
import type { WebgpuOptions } from '../engine/webgpu-device';
import { MemoryPixels } from './memory-pixels';
import { decodeFrame, encodeFrame, type FramePort } from './wire';
import { TrainerError, type Trainer, type TrainerErrorKind } from './trainer';

/**
 * A trainer core in another process — the desktop app's Chromium GPU worker — reached over a FramePort. The run host
 * gets an ordinary Trainer (remoteGpu().trainer) and never knows the difference; the worker serves a real core with
 * serveTrainer. Requests are answered in order. If the other end goes (its window crashed, the GPU process died),
 * every pending and later call fails as a GPU fault, so the run is interrupted and can resume.
 */

type Method = keyof Trainer | 'start';
interface Request {
  id: number;
  method: Method;
  args: unknown[];
}
type Response =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { kind: TrainerErrorKind; message: string; code?: string } };

/** How the GPU started in the other process, as the engine ladder needs it. */
export type RemoteStart =
  | { ok: true; adapter: GpuAdapter; label: string; detail: string; maxBufferBytes: number }
  | { ok: false; reason: string };

/** The other end's half of the start: WebgpuOptions but the host, which is Chromium by definition. */
export type RemoteStartOptions = Omit<WebgpuOptions, 'host'>;

export interface RemoteGpu {
  /** Starts WebGPU over there and trains its probe step; resolves with what it found. */
  start(options: RemoteStartOptions): Promise<RemoteStart>;
  trainer: Trainer;
  close(): void;
}

export function remoteGpu(port: FramePort): RemoteGpu {
  let nextId = 1;
  let closed: string | null = null;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  port.onFrame((frame) => {
    const response = decodeFrame(frame) as Response;
    const waiter = pending.get(response.id);
    if (!waiter) return;
    pending.delete(response.id);
    if (response.ok) waiter.resolve(response.value);
    else waiter.reject(new TrainerError(response.error.kind, response.error.message, response.error.code));
  });
  port.onClose((reason) => {
    closed = reason;
    for (const waiter of pending.values()) waiter.reject(new TrainerError('gpu', reason));
    pending.clear();
  });
  const call = <T>(method: Method, ...args: unknown[]): Promise<T> => {
    if (closed !== null) return Promise.reject(new TrainerError('gpu', closed));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      port.send(encodeFrame({ id, method, args } satisfies Request));
    });
  };
  return {
    start: (options) => call('start', options),
    trainer: {
      // The images go over once, as bytes; the core reads its batches from them.
      init: (setup, data) => call('init', setup, { train: data.train.readAll(), test: data.test.readAll() }),
      trainBatch: (epoch, batch, learningRate) => call('trainBatch', epoch, batch, learningRate),
      flush: () => call('flush'),
      remeasureBatchNorm: () => call('remeasureBatchNorm'),
      testLoss: () => call('testLoss'),
      reconstruct: (positions) => call('reconstruct', positions),
      snapshot: (state) => call('snapshot', state),
      memory: () => call('memory'),
      dispose: () => call('dispose'),
    },
    close: () => port.close(),
  };
}

/**
 * Answers a remoteGpu over `port`: `start` starts the GPU and returns the core that trains on it, or why not. Runs
 * in the Chromium worker (src-renderer/gpu-host/).
 */
export function serveTrainer(
  port: FramePort,
  start: (options: RemoteStartOptions) => Promise<{ answer: RemoteStart; trainer?: Trainer }>,
): void {
  let trainer: Trainer | undefined;
  const dispatch = async (request: Request): Promise<unknown> => {
    if (request.method === 'start') {
      const started = await start(request.args[0] as RemoteStartOptions);
      trainer = started.trainer;
      return started.answer;
    }
    if (!trainer) throw new TrainerError('failed', 'The GPU worker was asked to train before its GPU started.');
    if (request.method === 'init') {
      const [setup, data] = request.args as [Parameters<Trainer['init']>[0], { train: Uint8Array; test: Uint8Array }];
      const imageBytes = setup.shape[0] * setup.shape[1] * setup.shape[2];
      return trainer.init(setup, {
        train: new MemoryPixels(data.train, imageBytes),
        test: new MemoryPixels(data.test, imageBytes),
      });
    }
    const method = trainer[request.method] as (...args: unknown[]) => Promise<unknown>;
    return method(...request.args);
  };
  // One request at a time, in order: they share one model and one GPU.
  let queue = Promise.resolve();
  port.onFrame((frame) => {
    const request = decodeFrame(frame) as Request;
    queue = queue.then(async () => {
      let response: Response;
      try {
        response = { id: request.id, ok: true, value: await dispatch(request) };
      } catch (err) {
        const error =
          err instanceof TrainerError
            ? { kind: err.kind, message: err.message, code: err.code }
            : { kind: 'failed' as const, message: (err as Error)?.message ?? String(err) };
        response = { id: request.id, ok: false, error };
      }
      port.send(encodeFrame(response));
    });
  });
}
