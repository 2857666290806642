import type { Finding } from './report.js';

/** Why a call to a target system failed, in terms an operator can act on. */
export type TargetErrorKind =
  'timeout' | 'unreachable' | 'unauthorized' | 'forbidden' | 'rate-limited' | 'api-error' | 'bad-response';

/**
 * A failed call to a target system (Corvo, KyroDB…). Its `message` is safe for chat: it names the endpoint and the
 * reason, never a key, a URL with credentials or a stack trace. Typed clients throw only this.
 */
export class TargetError extends Error {
  readonly kind: TargetErrorKind;
  /** HTTP status when there was a response. */
  readonly status?: number;
  /** The target's own error code (Corvo `OVERLOADED`, `RETRY_ERROR`…). */
  readonly code?: string;
  /** Server's retry hint, ms. */
  readonly retryAfterMs?: number;

  constructor(
    kind: TargetErrorKind,
    message: string,
    details: { status?: number; code?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TargetError';
    this.kind = kind;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Worth retrying later (network trouble, overload), as opposed to a configuration or request problem. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'unreachable' || this.kind === 'rate-limited';
  }
}

/** The code of a fix refused by the bot's own check right before its write: nothing was sent to the target. */
export const REFUSED_BEFORE_WRITE = 'REFUSED_BEFORE_WRITE';

/**
 * A fix refused by the check before its write (the queue, route, message, lease or run it names is gone or no
 * longer what the card showed). The message says the current state; the approval engine records the step as
 * skipped, not failed, because nothing was sent.
 */
export function refusedBeforeWrite(message: string): TargetError {
  return new TargetError('api-error', message, { code: REFUSED_BEFORE_WRITE });
}

/** True for an error made by {@link refusedBeforeWrite}. */
export function isRefusedBeforeWrite(err: unknown): boolean {
  return err instanceof TargetError && err.code === REFUSED_BEFORE_WRITE;
}

/** True for a {@link TargetError}. */
export function isTargetError(err: unknown): err is TargetError {
  return err instanceof TargetError;
}

/**
 * The finding a probe yields when it cannot reach or read its target: severity `inconclusive`, the reason as
 * evidence. Anything that is not a {@link TargetError} is reported without its message (it may hold internals).
 */
export function inconclusiveFinding(code: string, title: string, err: unknown, section?: string): Finding {
  const reason = isTargetError(err) ? err.message : 'unexpected error while probing (see the bot logs)';
  return {
    code,
    severity: 'inconclusive',
    title,
    evidence: reason,
    section,
    nextStep: isTargetError(err) ? nextStepFor(err) : undefined,
  };
}

function nextStepFor(err: TargetError): string {
  switch (err.kind) {
    case 'timeout':
    case 'unreachable':
      return 'Check that the target is up and reachable from the bot (network, firewall, the configured url).';
    case 'unauthorized':
      return 'The API key was rejected: check the apiKey of this target in the bot config.';
    case 'forbidden':
      return "The API key lacks the role this check needs: see the README's credentials section for what each of this system's keys allows.";
    case 'rate-limited':
      return 'The target is rate-limiting or overloaded; run the check again in a moment.';
    default:
      return 'The target answered with something unexpected; check its logs.';
  }
}
