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
