import type { ErrorCode } from './contract';

export type { ErrorCode };

/** A failure the user can act on. Anything else thrown is a bug and is reported as `internal`. */
export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Stops long work the user cancelled; `what` names it ("The import was cancelled"). Callers store nothing after. */
export function throwIfCancelled(signal: AbortSignal, what = 'Cancelled'): void {
  if (signal.aborted) throw new UserError('cancelled', `${what}; nothing was saved.`);
}
