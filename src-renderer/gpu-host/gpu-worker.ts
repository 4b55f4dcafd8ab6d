/**
 * The dedicated worker of the desktop app's hidden GPU window: it trains with tfjs's WebGPU backend on Chromium's own
 * WebGPU, serving one trainer core (src-main/trainer/) to one worker process over the port it is given. Dawn cannot
 * do this inside Electron (its mapped buffers are external ArrayBuffers, which Electron's V8 memory cage refuses), and
 * Chromium's WebGPU is the same Dawn, running in Chromium's GPU process. No Node here: the page is sandboxed, with
 * context isolation and no Node integration.
 */
import * as tf from '@tensorflow/tfjs';
import { startWebgpuBackend } from '../../src-main/engine/webgpu-device';
import { createTrainerCore } from '../../src-main/trainer/trainer-core';
import { serveTrainer } from '../../src-main/trainer/trainer-rpc';
import type { FramePort } from '../../src-main/trainer/wire';

/** The dedicated worker's global scope, as much of it as is used (the renderer's types are the window's). */
const scope = self as unknown as { onmessage: ((event: MessageEvent) => void) | null; close(): void };

function domFramePort(port: MessagePort): FramePort {
  return {
    send: (frame) => port.postMessage(frame, [frame]),
    onFrame: (listener) => port.addEventListener('message', (event) => listener(event.data as ArrayBuffer)),
    // Fired when the other end's process ends (Chromium 122+), so a crashed worker process frees this GPU memory.
    onClose: (listener) => port.addEventListener('close', () => listener('the worker process went away')),
    close: () => port.close(),
  };
}

scope.onmessage = (event: MessageEvent) => {
  const port = event.ports[0];
  if (!port) return;
  scope.onmessage = null;
  const frames = domFramePort(port);
  frames.onClose(() => scope.close());
  serveTrainer(frames, async (options) => {
    if (!('gpu' in navigator) || !navigator.gpu) {
      return {
        answer: {
          ok: false,
          reason: "Chromium's WebGPU is turned off in this window (no navigator.gpu in the GPU worker)",
        },
      };
    }
    const attempt = await startWebgpuBackend(tf, navigator.gpu, { ...options, host: 'chromium' });
    if (!attempt.ok) return { answer: attempt };
    return {
      answer: {
        ok: true,
        adapter: attempt.adapter,
        label: attempt.label,
        detail: attempt.detail,
        maxBufferBytes: attempt.gpu.maxBufferBytes,
      },
      trainer: createTrainerCore(tf, { gpu: attempt.gpu }),
    };
  });
  port.start();
};
