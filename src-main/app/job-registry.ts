import { UserError } from '../api/errors';

/** Listeners of one kind of event: add one (getting its remover), tell them all. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T): void {
    for (const listener of this.set) listener(value);
  }
}

/** Promises waiting for a keyed thing to end, resolved together when it does. */
export class Waiters<K, V> {
  private readonly map = new Map<K, Array<(value: V) => void>>();

  wait(key: K): Promise<V> {
    return new Promise((resolve) => this.map.set(key, [...(this.map.get(key) ?? []), resolve]));
  }

  resolve(key: K, value: V): void {
    for (const resolve of this.map.get(key) ?? []) resolve(value);
    this.map.delete(key);
  }
}

interface JobProgress {
  jobId: number;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
}

/**
 * The bookkeeping every background job kind shares (imports, latent maps): ids, the running jobs' handles, the last
 * progress of finished ones, progress listeners and waiters. What a job does and how it is cancelled stay with its
 * owner; this only keeps track.
 */
export class JobRegistry<P extends JobProgress, H> {
  private nextId = 1;
  private readonly running = new Map<number, H>();
  private readonly finished = new Map<number, P>();
  private readonly listeners = new Listeners<P>();
  private readonly waiters = new Waiters<number, P>();

  /** `noun` names a job in errors: "import", "latent-space job". */
  constructor(private readonly noun: string) {}

  /** Registers a running job; returns its id. */
  open(handle: H): number {
    const jobId = this.nextId++;
    this.running.set(jobId, handle);
    return jobId;
  }

  handle(jobId: number): H | undefined {
    return this.running.get(jobId);
  }

  /** The running job's handle, or the error a user gets for one that finished or never existed. */
  requireRunning(jobId: number): H {
    const handle = this.running.get(jobId);
    if (handle !== undefined) return handle;
    if (this.finished.has(jobId))
      throw new UserError('conflict', `${capitalise(this.noun)} ${jobId} has already finished.`);
    throw new UserError('not_found', `There is no ${this.noun} with id ${jobId}.`);
  }

  runningIds(): number[] {
    return [...this.running.keys()];
  }

  emit(progress: P): void {
    this.listeners.emit(progress);
  }

  /** Ends a job with its last progress (once; later calls are ignored and return false). */
  finish(progress: P): boolean {
    if (!this.running.has(progress.jobId)) return false;
    this.running.delete(progress.jobId);
    this.finished.set(progress.jobId, progress);
    this.listeners.emit(progress);
    this.waiters.resolve(progress.jobId, progress);
    return true;
  }

  onProgress(listener: (progress: P) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Resolves with the job's last progress once it has completed, failed or been cancelled. */
  waitFor(jobId: number): Promise<P> {
    const done = this.finished.get(jobId);
    if (done) return Promise.resolve(done);
    if (!this.running.has(jobId))
      return Promise.reject(new UserError('not_found', `There is no ${this.noun} with id ${jobId}.`));
    return this.waiters.wait(jobId);
  }
}

/**
 * Throttles a job's progress to one update per `intervalMs` within a phase (a new phase and the last step always
 * pass) and estimates the time left from the rate since the phase began.
 */
export function progressThrottle(
  intervalMs: number,
): (phase: string, done: number, total: number) => { etaMs: number | null } | null {
  let lastSent = 0;
  let lastPhase: string | undefined;
  let phaseStarted = 0;
  return (phase, done, total) => {
    const now = performance.now();
    if (phase !== lastPhase) phaseStarted = now;
    else if (now - lastSent < intervalMs && done < total) return null;
    lastSent = now;
    lastPhase = phase;
    const rate = done > 0 ? done / Math.max(1e-3, now - phaseStarted) : 0;
    return { etaMs: rate > 0 ? (total - done) / rate : null };
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
