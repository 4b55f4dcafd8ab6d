/**
 * Ending the app the one way, whatever asks for it — the desktop app's quit (Cmd+Q, the last window closed, the
 * system logging out) or SIGTERM to browser mode and the CLI: the first request holds the ending, stops the work the
 * way Stop does (a training run saves a checkpoint inside its epoch and is left interrupted, resumable), waits for that
 * up to `timeoutMs`, then ends. Later requests while it stops change nothing.
 */
export interface ShutdownOptions {
  /** Stops the work and closes the store (host/services.ts: close). */
  stop(): Promise<void>;
  /** Ends the process for real (Electron: app.quit() again; Node: process.exit). */
  end(): void;
  timeoutMs: number;
  /** Told when the stop failed or did not finish in time; the app ends anyway. */
  warn?(message: string): void;
}

export interface Shutdown {
  /**
   * Asks to end. True while the ending must be held (the caller prevents it: Electron's event.preventDefault());
   * false once the work is stopped, when `end` runs and the ending may go through.
   */
  request(): boolean;
}

export function gracefulShutdown(options: ShutdownOptions): Shutdown {
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  return {
    request() {
      if (state === 'stopped') return false;
      if (state === 'running') {
        state = 'stopping';
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            options.warn?.(`The work did not stop within ${options.timeoutMs / 1000} s; ending anyway.`);
            resolve();
          }, options.timeoutMs);
        });
        const stopped = options.stop().catch((err: unknown) => {
          options.warn?.(`Stopping the work failed: ${(err as Error)?.message ?? String(err)}`);
        });
        void Promise.race([stopped, late]).then(() => {
          clearTimeout(timer);
          state = 'stopped';
          options.end();
        });
      }
      return true;
    },
  };
}

/** How long a quit waits for a training run to save its checkpoint (the supervisor kills a worker after 15 s). */
export const shutdownTimeoutMs = 20_000;
