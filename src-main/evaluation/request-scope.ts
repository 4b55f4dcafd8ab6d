import { UserError } from '../api/errors';

/** How far a long request has got, in words and counts (relayed to the window as `results:progress`). */
export interface EvaluationStep {
  what: string;
  done: number;
  total: number;
}

/**
 * What one results request is given besides its arguments: where to report its progress, and the points where it lets
 * other work in. Each request has its own, so cancelling one stops that request and no other.
 */
export interface RequestScope {
  /** Aborted when this request is cancelled. */
  readonly signal: AbortSignal;
  /** Reports how far it has got; throws `cancelled` once the request is cancelled. */
  report(step: EvaluationStep): void;
  /**
   * Lets messages in (a cancel) and throws `cancelled` if this request was; tensors the request holds stay as they
   * are, so it may be called anywhere, inside a tfjs scope too.
   */
  letIn(): Promise<void>;
  /**
   * Between the chunks of a long request: answers the quick requests waiting (a gallery never waits minutes behind a
   * whole split's errors), then `letIn`. Only where the request holds no tfjs scope open.
   */
  between(): Promise<void>;
}

export const cancelledRequest = () => new UserError('cancelled', 'Cancelled; nothing was changed.');

/** A scope for a request nobody can cancel and nobody watches (the PyTorch export's check, tests). */
export function quietScope(): RequestScope {
  const signal = new AbortController().signal;
  return { signal, report: () => {}, letIn: () => Promise.resolve(), between: () => Promise.resolve() };
}
