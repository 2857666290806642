/**
 * The one error type whose message is written for the chat user. Everything else stays internal: the user sees a
 * short line plus the invocation id, and the details go to the logs.
 */
export class UserFacingError extends Error {
  /** Stable machine-readable code, e.g. `usage`, `unknown-target`, `forbidden`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserFacingError';
    this.code = code;
  }
}

/** True for a {@link UserFacingError}. */
export function isUserFacingError(err: unknown): err is UserFacingError {
  return err instanceof UserFacingError;
}
