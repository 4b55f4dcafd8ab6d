import { openDatabase } from '../store/database';
import { dataLayout } from '../app/paths';
import { selectEngine, type EngineChoice } from '../engine/select-engine';
import { trainRun } from '../training/train-run';
import { createTrainerCore } from '../trainer/trainer-core';
import { remoteGpu, type RemoteGpu } from '../trainer/trainer-rpc';
import type { TrainingRequest } from '../training/training-supervisor';
import {
  chromiumWebgpuAttempt,
  electronFramePort,
  websocketFramePort,
  type ElectronMessagePort,
} from './gpu-host-port';
import { exitSoon, type ParentPort } from './parent-port';

/**
 * A training worker: trains one run (or only probes the engine) and takes pause, resume and stop between batches.
 * Ctrl+C in a terminal signals the whole process group, this worker with its CLI: it stops as Stop does, keeping the
 * epoch so far, rather than die with it; a second Ctrl+C ends it at once. (SIGTERM stays a kill: it is how a worker
 * that does not stop in time is ended.)
 */
export function trainingRole(parent: ParentPort): (message: TrainingRequest, ports: ElectronMessagePort[]) => void {
  let stopRequested = false;
  let paused = false;
  let wakeUp: (() => void) | undefined;

  const requestStop = () => {
    paused = false;
    stopRequested = true;
    wakeUp?.();
  };
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    requestStop();
  });

  async function probe(remote: RemoteGpu | undefined): Promise<void> {
    const engine = await selectEngine(engineChoice(remote));
    parent.send({ type: 'engine', status: engine.status });
    remote?.close();
    exitSoon();
  }

  async function train(runId: number, dataDir: string, onCpu: boolean, remote: RemoteGpu | undefined) {
    // "Resume on CPU" (after a GPU fault, say) starts the search below the GPU engines.
    const engine = await selectEngine(
      onCpu ? { startAt: 'native', why: 'the run was resumed on the CPU' } : engineChoice(remote),
    );
    parent.send({ type: 'engine', status: engine.status });
    const onRemoteGpu = remote !== undefined && engine.status.name === 'webgpu' && !onCpu;
    if (!onRemoteGpu) remote?.close();
    const db = openDatabase(dataLayout(dataDir).database);
    const result = await trainRun({
      trainer: onRemoteGpu ? remote.trainer : createTrainerCore(engine.tf, { gpu: engine.gpu }),
      engine: engine.status,
      maxGpuBufferBytes: engine.maxGpuBufferBytes,
      db,
      dataDir,
      runId,
      shouldStop: () => stopRequested,
      isPaused: () => paused,
      waitForResume: () => new Promise<void>((resolve) => (wakeUp = resolve)),
      onProgress: (progress) => parent.send({ type: 'progress', progress }),
      yieldToEvents: () => new Promise((resolve) => setImmediate(resolve)),
    });
    db.close();
    remote?.close();
    parent.send({ type: 'done', runId, status: result.status, error: result.error });
    exitSoon();
  }

  return (message, ports) => {
    if (message.type === 'pause') paused = true;
    else if (message.type === 'stop') {
      requestStop();
      // Heard between batches: this worker is alive and now saves its checkpoint, however long that takes.
      parent.send({ type: 'stopping' });
    } else if (message.type === 'resume') {
      paused = false;
      wakeUp?.();
    } else if (message.type === 'probe') void probe(gpuHost(message.gpuHostUrl, ports));
    else void train(message.runId, message.dataDir, message.onCpu ?? false, gpuHost(message.gpuHostUrl, ports));
  };
}

/** The Chromium GPU worker this message leads to, if any: a port that came with it, or a WebSocket's address. */
function gpuHost(url: string | undefined, ports: ElectronMessagePort[]): RemoteGpu | undefined {
  if (ports[0]) return remoteGpu(electronFramePort(ports[0]));
  if (url) return remoteGpu(websocketFramePort(url));
  return undefined;
}

/** With a Chromium GPU worker, the ladder's `webgpu` rung is that worker (Dawn cannot run inside Electron). */
function engineChoice(remote: RemoteGpu | undefined): EngineChoice {
  return remote ? { webgpu: () => chromiumWebgpuAttempt(remote) } : {};
}
