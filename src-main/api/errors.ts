/** Error codes the API can return; the message is always written for the person using the app. */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'store_unavailable'
  | 'store_too_new'
  | 'file_error'
  | 'engine_unavailable'
  | 'training_failed'
  | 'forbidden'
  | 'internal';

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
