/**
 * Entry of the worker process. Main starts one per training run or latent-space job, and one long-lived one for the
 * results views (Electron utilityProcess, or a Node child process), so heavy compute never blocks the window and a
 * crash here cannot take the app down. It writes metrics, checkpoints, codes and maps to the store itself; main only
 * relays progress.
 */
import { openDatabase } from '../store/database';
import { dataLayout } from '../app/paths';
import { selectEngine, type EngineChoice } from '../engine/select-engine';
import { trainRun } from '../training/train-run';
import { createTrainerCore } from '../trainer/trainer-core';
import { remoteGpu, type RemoteGpu } from '../trainer/trainer-rpc';
import {
  chromiumWebgpuAttempt,
  electronFramePort,
  websocketFramePort,
  type ElectronMessagePort,
} from './gpu-host-port';
import { runLatentJob } from '../latent/latent-job';
import { UserError } from '../api/errors';
import type { ApiError, LatentJobArgs } from '../api/contract';
import { Evaluator, isLongRequest, type EvaluationRequest } from '../evaluation/evaluator';
import type { FromWorker, ToWorker } from './protocol';

interface ParentPort {
  send(message: FromWorker): void;
  /** `ports`: what came with the message (in the desktop app, the GPU window's end of a channel). */
  onMessage(listener: (message: ToWorker, ports: ElectronMessagePort[]) => void): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown; ports?: ElectronMessagePort[] }) => void): void;
}

function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) =>
        electronPort.on('message', (event) => listener(event.data as ToWorker, event.ports ?? [])),
    };
  }
  if (!process.send) throw new Error('The training worker must be started by Autoencoder Studio.');
  // Without a parent there is nobody to report to: stop instead of training as an orphan.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message) => process.send!(message),
    onMessage: (listener) => process.on('message', (message) => listener(message as ToWorker, [])),
  };
}

const parent = connectToParent();
let stopRequested = false;
const stopController = new AbortController();
let paused = false;
let wakeUp: (() => void) | undefined;

/** Stops the work as Stop does: training saves a checkpoint inside its epoch after the current batch. */
function requestStop(): void {
  paused = false;
  stopRequested = true;
  stopController.abort();
  wakeUp?.();
}

// Ctrl+C in a terminal signals the whole process group, this worker with its CLI: stop as Stop does, keeping the
// epoch so far, rather than die with it; a second Ctrl+C ends it at once. (SIGTERM stays a kill: it is how a worker
// that does not stop in time is ended.)
let interrupts = 0;
process.on('SIGINT', () => {
  if (++interrupts > 1) process.exit(130);
  requestStop();
});

parent.onMessage((message, ports) => {
  if (message.type === 'pause') paused = true;
  else if (message.type === 'stop') requestStop();
  else if (message.type === 'resume') {
    paused = false;
    wakeUp?.();
  } else if (message.type === 'probe') void probe(gpuHost(message.gpuHostUrl, ports));
  else if (message.type === 'train') {
    void train(message.runId, message.dataDir, message.onCpu ?? false, gpuHost(message.gpuHostUrl, ports));
  } else if (message.type === 'latent') void latent(message.dataDir, message.args);
  else if (message.type === 'evaluate') evaluate(message.id, message.dataDir, message.request);
});

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

async function probe(remote: RemoteGpu | undefined): Promise<void> {
  const engine = await selectEngine(engineChoice(remote));
  parent.send({ type: 'engine', status: engine.status });
  remote?.close();
  // Give the message time to leave before the process ends.
  setTimeout(() => process.exit(0), 50);
}

async function train(runId: number, dataDir: string, onCpu: boolean, remote: RemoteGpu | undefined): Promise<void> {
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
  // Give the message time to leave before the process ends.
  setTimeout(() => process.exit(0), 50);
}

async function latent(dataDir: string, args: LatentJobArgs): Promise<void> {
  const db = openDatabase(dataLayout(dataDir).database);
  try {
    const engine = await selectEngine();
    const result = await runLatentJob(
      {
        tf: engine.tf,
        db,
        dataDir,
        signal: stopController.signal,
        onProgress: (step) => parent.send({ type: 'latent-progress', step }),
      },
      args,
    );
    parent.send({ type: 'latent-done', result, error: null });
  } catch (err) {
    parent.send({ type: 'latent-done', result: null, error: toApiError('latent', err) });
  } finally {
    db.close();
  }
  setTimeout(() => process.exit(0), 50);
}

let evaluator: Promise<Evaluator> | undefined;
/**
 * Requests wait here and are answered one at a time (they share the engine and its memory), in order, except that a
 * long one (a whole split's errors) answers the quick ones that arrive meanwhile between its chunks: a gallery or a
 * decode never waits minutes behind an error table.
 */
const waiting: Array<{ id: number; request: EvaluationRequest }> = [];
let answering = false;

function evaluate(id: number, dataDir: string, request: EvaluationRequest): void {
  evaluator ??= selectEngine().then((engine) => {
    const made = new Evaluator(engine.tf, openDatabase(dataLayout(dataDir).database), dataDir, engine.status.name);
    made.between = () => answerQuick(made);
    return made;
  });
  waiting.push({ id, request });
  void pump();
}

async function pump(): Promise<void> {
  if (answering) return;
  answering = true;
  try {
    const ready = await evaluator!;
    while (waiting.length > 0) await answer(ready, waiting.shift()!);
  } catch (err) {
    // The engine could not start: every request waiting says why.
    for (const { id, request } of waiting.splice(0)) {
      parent.send({ type: 'evaluate-done', id, result: null, error: toApiError(request.channel, err) });
    }
  } finally {
    answering = false;
  }
}

async function answer(ready: Evaluator, { id, request }: { id: number; request: EvaluationRequest }): Promise<void> {
  ready.onStep = (step) => parent.send({ type: 'evaluate-progress', id, step });
  try {
    const result = await ready.handle(request);
    parent.send({ type: 'evaluate-done', id, result, error: null });
  } catch (err) {
    parent.send({ type: 'evaluate-done', id, result: null, error: toApiError(request.channel, err) });
  }
}

/** Answers the quick requests waiting, then lets the long one in progress carry on (with its own progress reports). */
async function answerQuick(ready: Evaluator): Promise<void> {
  // Messages that arrived while the long request computed are delivered now.
  await new Promise((resolve) => setImmediate(resolve));
  const reporting = ready.onStep;
  for (let i = 0; i < waiting.length;) {
    if (isLongRequest(waiting[i].request)) i++;
    else await answer(ready, waiting.splice(i, 1)[0]);
  }
  ready.onStep = reporting;
}

function toApiError(what: string, err: unknown): ApiError {
  if (err instanceof UserError) return { code: err.code, message: err.message };
  console.error(`[${what}] failed:`, err);
  return { code: 'internal', message: `Something went wrong: ${(err as Error)?.message ?? String(err)}` };
}
