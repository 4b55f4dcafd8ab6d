import { PgBoss } from 'pg-boss';
import { UserError } from '../api/errors';
import { trainQueue } from './lab-protocol';

/** What the hub asks of the queue. The engine is pg-boss on PostgreSQL: we write no queue, retry or heartbeat code. */
export interface LabQueueOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  /** A job whose worker has not been heard from for this long is failed and retried (pg-boss's minimum is 10). */
  heartbeatSeconds: number;
  /** How many times a failed job is tried again (on any worker). */
  retryLimit: number;
  /** How often pg-boss looks for jobs past their heartbeat (seconds). */
  superviseSeconds: number;
  /** The longest a run may train before its job expires and is retried (pg-boss's own default is 15 minutes). */
  runSeconds: number;
}

export interface QueuedJob {
  id: string;
  runId: number;
  retryCount: number;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/**
 * The hub's queue of training jobs, one per run, with the run's id in the job and the job's id in the run. pg-boss
 * gives the rest: a job is handed to one worker at a time (SKIP LOCKED), failed jobs are retried, a job whose worker
 * stops sending heartbeats is failed (and so retried) by pg-boss's supervisor, and `send` with a job id that exists
 * changes nothing, so a hub that restarts sends its unfinished runs again safely.
 */
export class LabQueue {
  private constructor(
    private readonly boss: PgBoss,
    readonly options: LabQueueOptions,
  ) {}

  static async open(options: LabQueueOptions, onError: (err: Error) => void): Promise<LabQueue> {
    const boss = new PgBoss({
      connectionString: options.connectionString,
      superviseIntervalSeconds: options.superviseSeconds,
      monitorIntervalSeconds: options.superviseSeconds,
      application_name: 'ae-studio-hub',
    });
    boss.on('error', onError);
    try {
      await boss.start();
      await boss.createQueue(trainQueue, {
        retryLimit: options.retryLimit,
        heartbeatSeconds: options.heartbeatSeconds,
        expireInSeconds: options.runSeconds,
      });
    } catch (err) {
      await boss.stop({ graceful: false }).catch(() => {});
      throw new UserError(
        'store_unavailable',
        `The lab hub cannot use the PostgreSQL database (${redact(options.connectionString)}): ${(err as Error).message}`,
      );
    }
    return new LabQueue(boss, options);
  }

  /** Queues a run's job under the id the run already has; nothing happens when it is there already. */
  async send(jobId: string, runId: number): Promise<void> {
    const { retryLimit, heartbeatSeconds, runSeconds } = this.options;
    await this.boss.send(
      trainQueue,
      { runId },
      { id: jobId, retryLimit, heartbeatSeconds, expireInSeconds: runSeconds },
    );
  }

  /** The next job for a worker, now active and its heartbeat started; undefined when none waits. */
  async fetch(): Promise<QueuedJob | undefined> {
    const [job] = await this.boss.fetch<{ runId: number }>(trainQueue, { batchSize: 1 });
    return job ? { id: job.id, runId: job.data.runId, retryCount: job.retryCount ?? 0 } : undefined;
  }

  /** Keeps an active job alive (its worker's heartbeat). */
  async touch(jobId: string): Promise<void> {
    await this.boss.touch(trainQueue, jobId);
  }

  async complete(jobId: string): Promise<void> {
    await this.boss.complete(trainQueue, jobId);
  }

  /** Fails an active job; pg-boss retries it until its retry limit, then it stays failed. */
  async fail(jobId: string, error: string): Promise<void> {
    await this.boss.fail(trainQueue, jobId, { error });
  }

  async cancel(jobId: string): Promise<void> {
    await this.boss.cancel(trainQueue, jobId);
  }

  async state(jobId: string): Promise<{ state: JobState; retryCount: number } | undefined> {
    const job = await this.boss.getJobById(trainQueue, jobId);
    return job ? { state: job.state as JobState, retryCount: job.retryCount } : undefined;
  }

  close(): Promise<void> {
    return this.boss.stop({ graceful: false });
  }
}

/** A connection string with its password hidden, for messages. */
export function redact(connectionString: string): string {
  return connectionString.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
