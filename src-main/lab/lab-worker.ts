import { hostname, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { create } from 'tar';
import type { Database } from '../store/database';
import { listMetrics } from '../store/metrics';
import { getRun } from '../store/runs';
import { startTraining, deleteRun } from '../runs/run-commands';
import { exportRun } from '../experiments/run-export';
import { TrainingSupervisor } from '../training/training-supervisor';
import type { SpawnWorker } from '../worker/protocol';
import type { LabWorkerInfo } from '../api/contract';
import { ensureLocalDataset } from './dataset-pack';
import type { HubClient } from './hub-client';
import type { DatasetPack, HeartbeatAnswer, LabJob, WorkerHealth } from './lab-protocol';

export interface LabWorkerOptions {
  /** Talks to the hub; requests that must get through (uploads) retry for as long as it allows. */
  client: HubClient;
  /** The worker's own store (its dataset cache, and each job's run until it is home) and its training queue. */
  services: { db: Database; dataDir: string; supervisor: TrainingSupervisor };
  spawnWorker: SpawnWorker;
  /** One pulling loop per GPU named; none: one loop on the CPU. */
  gpus: string[];
  /** Take one job (if one waits), train it, and stop: a Slurm array task. */
  once: boolean;
  log: (text: string) => void;
  signal: AbortSignal;
  /** How often a training job reports to the hub (default: as often as the hub asks). */
  heartbeatMs?: number;
  idleMs?: number;
  /** Jobs in a row failing the same way before the worker stops taking work. */
  maxSameFailures?: number;
}

export interface LabWorkerResult {
  trained: number;
  /** Set when the worker stopped taking work because its jobs kept failing the same way. */
  unhealthy: string | null;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * A lab worker: one loop per GPU (or one on the CPU) asks the hub for a job, trains it with this app's own training
 * worker process, sends heartbeats with its epochs, uploads the finished run's folder and only then completes the job.
 * A job the hub cancels stops between batches and comes home stopped; a job the hub gave to another worker (this one
 * went quiet) is dropped. Jobs that keep failing the same way make the worker report itself unhealthy and stop.
 */
export async function runLabWorker(options: LabWorkerOptions): Promise<LabWorkerResult> {
  const { client, services, signal, log } = options;
  const engine = await services.supervisor.engine();
  const slots = options.gpus.length > 0 ? options.gpus : [null];
  const health: WorkerHealth = { healthy: true, problem: null };
  const failures: string[] = [];
  const maxSame = options.maxSameFailures ?? 3;
  const datasets = new Map<string, Promise<number>>();
  let trained = 0;

  const infoOf = (gpu: string | null): LabWorkerInfo => ({
    id: `${hostname()}:${process.pid}:${gpu ?? 'cpu'}`,
    host: hostname(),
    gpu: gpu === null ? null : `GPU ${gpu}`,
    engine: `${engine.label} (${engine.detail})`,
  });
  const hello = await client.post<{ heartbeatMs: number }>('/hello', { worker: infoOf(slots[0]), health });
  const heartbeatMs = options.heartbeatMs ?? hello.heartbeatMs;

  const localDataset = (job: LabJob) => {
    let id = datasets.get(job.dataset.hash);
    if (!id) {
      id = ensureLocalDataset(services.db, services.dataDir, job.dataset, async () => {
        log(`Fetching dataset "${job.dataset.name}" (${job.dataset.images} images) from the hub…`);
        const pack = await client.get<DatasetPack>(`/datasets/${job.dataset.hash}`);
        return { pack, pixels: await client.bytes(`/datasets/${job.dataset.hash}/pixels`) };
      });
      id.catch(() => datasets.delete(job.dataset.hash));
      datasets.set(job.dataset.hash, id);
    }
    return id;
  };

  async function loop(gpu: string | null, supervisor: TrainingSupervisor): Promise<void> {
    const worker = infoOf(gpu);
    while (!signal.aborted && health.healthy) {
      const { job } = await client.post<{ job: LabJob | null }>('/jobs/next', { worker, health });
      if (!job) {
        if (options.once) return;
        await sleep(options.idleMs ?? 2000, signal);
        continue;
      }
      log(
        `Run ${job.runId} "${job.runName}"${job.retryCount > 0 ? ` (try ${job.retryCount + 1})` : ''} on ${worker.gpu ?? 'the CPU'}…`,
      );
      const error = await trainJob(job, worker, supervisor);
      if (error === null) {
        trained++;
        failures.length = 0;
      } else {
        // The same error up to its numbers (a run id or a path with one in it differs from job to job).
        failures.push(error.replace(/\d+/g, 'N'));
        const last = failures.slice(-maxSame);
        if (last.length === maxSame && last.every((e) => e === last[0])) {
          health.healthy = false;
          health.problem = `${maxSame} jobs in a row failed with: ${error}`;
          log(`Stopped taking work: ${health.problem}`);
          await client.post('/hello', { worker, health }).catch(() => {});
        }
      }
      if (options.once) return;
    }
  }

  /** Trains one job; null when it came home (finished or cancelled), else why it failed. */
  async function trainJob(job: LabJob, worker: LabWorkerInfo, supervisor: TrainingSupervisor): Promise<string | null> {
    // Set by a heartbeat's answer: the hub wants this job stopped.
    const told: { stop: HeartbeatAnswer['stop'] } = { stop: null };
    let localRun: number | undefined;
    let beating: Promise<void> | undefined;
    const beat = () => {
      // One heartbeat at a time: while the hub is away, the one in flight keeps trying.
      if (localRun === undefined || beating) return;
      const epochs = listMetrics(services.db, localRun, 'epoch').map(
        ({ scope: _scope, trainPenalty: _a, testPenalty: _b, learningRate: _c, testPsnr: _d, testSsim: _e, ...m }) => m,
      );
      beating = client
        .post<HeartbeatAnswer>(`/jobs/${job.jobId}/heartbeat`, { worker, runId: job.runId, epochs })
        .then((answer) => {
          if (answer.stop && told.stop === null && localRun !== undefined) {
            told.stop = answer.stop;
            log(`Run ${job.runId}: ${answer.why} Stopping it.`);
            supervisor.stop(localRun);
          }
        })
        // The hub is away for now (restarting): training goes on; the next beat tries again.
        .catch((err: unknown) => log(`Run ${job.runId}: heartbeat not delivered (${(err as Error).message})`))
        .finally(() => (beating = undefined));
    };
    const timer = setInterval(beat, heartbeatMs);
    try {
      const datasetId = await localDataset(job);
      localRun = startTraining(services.db, supervisor, {
        datasetId,
        config: job.config,
        name: `${job.runName} (hub run ${job.runId})`,
      }).id;
      beat();
      const status = await supervisor.waitForRun(localRun);
      clearInterval(timer);
      await beating;
      const { stop } = told;
      if (stop === 'reassigned') return null; // the queue hands it to any worker now
      if (status !== 'completed' && !(status === 'stopped' && stop === 'cancelled')) {
        const error = getRun(services.db, localRun)?.error ?? `The run ended ${status}.`;
        await client.post(`/jobs/${job.jobId}/fail`, { worker, runId: job.runId, error });
        log(`Run ${job.runId} failed: ${error}`);
        return error;
      }
      await upload(job, worker, localRun);
      if (stop === null) await client.post(`/jobs/${job.jobId}/complete`, { worker, runId: job.runId });
      log(`Run ${job.runId} ${stop === null ? 'finished' : 'cancelled'} and is home.`);
      deleteRun(services.db, services.dataDir, supervisor, localRun);
      return null;
    } catch (err) {
      clearInterval(timer);
      const error = (err as Error).message;
      log(`Run ${job.runId} failed: ${error}`);
      await client.post(`/jobs/${job.jobId}/fail`, { worker, runId: job.runId, error }).catch(() => {});
      return error;
    }
  }

  /** Exports the run's folder, packs it and sends it home; the hub stores it under the run's own id once. */
  async function upload(job: LabJob, worker: LabWorkerInfo, localRun: number): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'ae-studio-upload-'));
    try {
      const exported = await exportRun(services.db, services.dataDir, { runId: localRun, dir });
      const packed = join(dir, 'run.tar');
      await create({ cwd: exported.path, file: packed, portable: true }, ['.']);
      const query = new URLSearchParams({ job: job.jobId, worker: JSON.stringify(worker) });
      await client.put(`/runs/${job.runId}/folder?${query}`, readFileSync(packed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // The first loop trains with the services' own supervisor (closed with them); each further GPU gets one of its own.
  const extra = slots.slice(1).map(() => new TrainingSupervisor(services.db, services.dataDir, options.spawnWorker));
  try {
    await Promise.all(slots.map((gpu, i) => loop(gpu, i === 0 ? services.supervisor : extra[i - 1])));
  } finally {
    await Promise.all(extra.map((supervisor) => supervisor.close()));
  }
  return { trained, unhealthy: health.healthy ? null : health.problem };
}
