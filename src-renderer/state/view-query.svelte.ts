import type { Result } from '../../src-main/api/contract';
import { LatestAnswer } from '../lib/latest-answer';

/**
 * One request a view makes again whenever its settings change (an epoch, a component count, the runs compared): its
 * answer, the problem in words, whether it is on its way, and whether the user cancelled it (results work can be).
 * Only the latest question's answer is kept. The view passes its settings in an `$effect`; the asking and the
 * bookkeeping live here.
 */
export class ViewQuery<A, R> {
  value = $state.raw<R | null>(null);
  problem = $state<string | null>(null);
  busy = $state(false);
  /** The last request was cancelled (from the progress panel): the view offers to ask again. */
  cancelled = $state(false);
  private readonly latest = new LatestAnswer();

  constructor(
    private readonly ask: (args: A) => Promise<Result<R>>,
    /** Whether a failed request clears the answer shown (a figure of another layer) rather than keep the last one. */
    private readonly clearOnFailure = false,
  ) {}

  /** Asks with these settings; an earlier question answered later is dropped. */
  load(args: A): Promise<void> {
    this.busy = true;
    this.cancelled = false;
    return this.latest.take(this.ask(args), (reply) => {
      this.busy = false;
      this.cancelled = !reply.ok && reply.error.code === 'cancelled';
      this.problem = reply.ok || this.cancelled ? null : reply.error.message;
      if (reply.ok) this.value = reply.value;
      else if (this.clearOnFailure) this.value = null;
    });
  }

  /** Forgets the answer and anything on its way (the view no longer has anything to ask). */
  clear(): void {
    this.latest.forget();
    this.value = null;
    this.busy = false;
  }
}
