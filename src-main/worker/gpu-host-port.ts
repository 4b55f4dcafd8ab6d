import WebSocket from 'ws';
import type { Attempt } from '../engine/select-engine';
import {
  allowSoftwareGpuEnv,
  allowSoftwareHint,
  failReadbackEnv,
  noAdapterReason,
  platformApi,
} from '../engine/webgpu-engine';
import type { FramePort } from '../trainer/wire';
import type { RemoteGpu } from '../trainer/trainer-rpc';
import type { ProcessHandle } from '../app/process-handle';
import type { FromWorker, SpawnWorker, ToWorker } from './protocol';

/**
 * How a worker process reaches the Chromium GPU worker that trains for it (src-renderer/gpu-host/). In the desktop
 * app main hands the worker one end of a MessageChannelMain with each 'train' or 'probe' message (electron/
 * gpu-host.ts); the tests and `npm run check:desktop-gpu` give it the address of a WebSocket that leads to the same
 * page in headless Chromium (scripts/chromium-gpu-host.ts). Either way the frames are the same.
 */
/** How long the GPU worker may take to start WebGPU and train its probe step before the engine is given up. */
const startTimeoutMs = 60_000;

/** The parts of Electron's MessagePortMain used here (a utility process receives it with a message). */
export interface ElectronMessagePort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  start(): void;
  close(): void;
}

/** A connection's end, told once to every listener, with the first reason given. */
function closing() {
  const listeners: Array<(reason: string) => void> = [];
  let closed = false;
  return {
    isClosed: () => closed,
    onClose: (listener: (reason: string) => void) => void listeners.push(listener),
    closeWith: (reason: string) => {
      if (closed) return;
      closed = true;
      for (const listener of listeners) listener(reason);
    },
  };
}

export function electronFramePort(port: ElectronMessagePort): FramePort {
  const { isClosed, onClose, closeWith } = closing();
  port.on('close', () => closeWith('the GPU window closed unexpectedly (its process ended)'));
  const frameListeners: Array<(frame: ArrayBuffer) => void> = [];
  port.on('message', (event) => {
    for (const listener of frameListeners) listener(event.data as ArrayBuffer);
  });
  port.start();
  return {
    send: (frame) => {
      if (!isClosed()) port.postMessage(frame);
    },
    onFrame: (listener) => frameListeners.push(listener),
    onClose,
    close: () => {
      closeWith('the GPU window was closed');
      port.close();
    },
  };
}

/** A FramePort over a WebSocket; frames sent before it opens wait for it. */
export function websocketFramePort(url: string): FramePort {
  const socket = new WebSocket(url, { maxPayload: 4 * 1024 ** 3 });
  socket.binaryType = 'arraybuffer';
  const waiting: ArrayBuffer[] = [];
  const { isClosed, onClose, closeWith } = closing();
  socket.on('open', () => {
    for (const frame of waiting.splice(0)) socket.send(frame);
  });
  socket.on('close', () => closeWith('the GPU window closed unexpectedly (its connection ended)'));
  socket.on('error', (err) => closeWith(`the GPU window could not be reached (${err.message})`));
  return {
    send: (frame) => {
      if (isClosed()) return;
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else waiting.push(frame);
    },
    onFrame: (listener) => socket.on('message', (data) => listener(data as ArrayBuffer)),
    onClose,
    close: () => {
      closeWith('the GPU window was closed');
      socket.close();
    },
  };
}

/**
 * The `webgpu` rung of the engine ladder when the GPU is Chromium's: the GPU worker starts WebGPU and trains one probe
 * step, then says what it found. A worker that does not answer, or whose window goes, is a reason like any other.
 */
export async function chromiumWebgpuAttempt(remote: RemoteGpu): Promise<Attempt> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the GPU window did not answer within ${startTimeoutMs / 1000} s`)),
      startTimeoutMs,
    );
  });
  try {
    const answer = await Promise.race([
      remote.start({
        api: platformApi[process.platform] ?? 'WebGPU',
        allowSoftware: process.env[allowSoftwareGpuEnv] === '1',
        allowSoftwareHint,
        noAdapterReason: `Chromium's WebGPU found no GPU it may use: ${noAdapterReason()}`,
        failReadback: process.env[failReadbackEnv] === 'probe',
      }),
      timeout,
    ]);
    if (!answer.ok) return answer;
    return {
      ok: true,
      label: answer.label,
      detail: answer.detail,
      adapter: answer.adapter,
      maxGpuBufferBytes: answer.maxBufferBytes,
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A worker spawner whose training and engine-check messages lead to the Chromium GPU worker behind `gpuHostUrl` — the
 * WebSocket counterpart of what the desktop app's utility-process spawner does with a MessagePort.
 */
export function spawnWithGpuHost(spawn: SpawnWorker, gpuHostUrl: string): SpawnWorker {
  return (<In extends ToWorker, Out extends FromWorker>(): ProcessHandle<In, Out> => {
    const worker = spawn<In, Out>();
    return {
      get pid() {
        return worker.pid;
      },
      send: (message) =>
        worker.send(message.type === 'train' || message.type === 'probe' ? { ...message, gpuHostUrl } : message),
      onMessage: (listener) => worker.onMessage(listener),
      onExit: (listener) => worker.onExit(listener),
      kill: () => worker.kill(),
    };
  }) as SpawnWorker;
}
