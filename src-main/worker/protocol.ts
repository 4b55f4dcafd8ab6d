import type { ProcessHandle } from '../app/process-handle';
import type { TrainingReport, TrainingRequest } from '../training/training-supervisor';
import type { LatentReport, LatentRequest } from '../latent/latent-jobs';
import type { EvaluationAnswer, EvaluationAsk } from '../evaluation/evaluation-client';

/**
 * Messages between the main process and a worker process: training a run; encoding and mapping latent codes;
 * answering the results views, where one long-lived worker takes request after request. Plain data only. Each service
 * names the messages it speaks next to the code that speaks them; the one worker entry (worker-main.ts) answers all.
 */
export type ToWorker = TrainingRequest | LatentRequest | EvaluationAsk;
export type FromWorker = TrainingReport | LatentReport | EvaluationAnswer;

/** A worker process that may be asked anything. */
export type WorkerHandle = ProcessHandle<ToWorker, FromWorker>;

/**
 * Starts a worker (Node child process or Electron utilityProcess). Each service gets a handle typed with its own
 * messages: the worker answers a service only with that service's messages.
 */
export type SpawnWorker = <In extends ToWorker = ToWorker, Out extends FromWorker = FromWorker>() => ProcessHandle<
  In,
  Out
>;
