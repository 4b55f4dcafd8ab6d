import type { Api } from '../../src-main/api/client';
import type { ApiError, RunSummary } from '../../src-main/api/contract';
import { keepUnchanged, mergeById } from '../lib/merge-list';

/**
 * The open project's runs as the window shows them, newest first: loaded whole, then kept current by fetching only
 * the runs a `runs:changed` event names (training, a CLI command or another window changed them). Rows that did not
 * change keep their objects, so the table does not redraw them and a half-typed edit survives.
 */
export class RunsList {
  runs = $state.raw<RunSummary[]>([]);

  constructor(
    private readonly api: Api,
    /** Told when a whole-list load fails (a background refresh of a few runs fails quietly: the next catches up). */
    private readonly onError: (error: ApiError) => void,
  ) {}

  /** Follows the store's changes until the returned function is called. */
  follow(): () => void {
    return this.api.on('runs:changed', ({ ids }) => void this.refresh(ids));
  }

  /** Fetches the runs again: all of them, or only `ids`, merged into the list. */
  async refresh(ids: number[] | null = null): Promise<void> {
    if (ids === null) {
      const reply = await this.api.runs.list();
      if (reply.ok) this.runs = keepUnchanged(this.runs, reply.value);
      else this.onError(reply.error);
      return;
    }
    const reply = await this.api.runs.list({ ids });
    if (reply.ok) this.runs = mergeById(this.runs, ids, reply.value, (a, b) => b.id - a.id);
  }
}
