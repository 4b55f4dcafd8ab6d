import type { Api } from '../../src-main/api/client';
import type { LabLink } from '../../src-main/api/contract';

/**
 * The lab hub that serves this data folder, if one was started on it: its address, its workers and jobs. The hub
 * keeps its workers in memory and hears from them every few seconds, so the window asks again on a timer while the
 * Sweeps tab is open (no store change marks a worker's heartbeat).
 */
export class LabLinkState {
  link = $state.raw<LabLink>({ hub: null, status: null, problem: null });

  constructor(private readonly api: Api) {}

  async refresh(): Promise<void> {
    const reply = await this.api.lab.status();
    if (reply.ok) this.link = reply.value;
  }

  /** Refreshes now and every `everyMs` until the returned function is called. */
  follow(everyMs = 4000): () => void {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), everyMs);
    return () => clearInterval(timer);
  }
}
