import { inspect } from 'node:util';
import { registerSecretValue } from './redact.js';

/**
 * A secret value that prints as `[redacted]` everywhere (String(), JSON, util.inspect, template literals), so a
 * config dump or an error message can never leak it. Read the value with {@link Secret.reveal} at the one place that
 * needs it (an HTTP header). Building one also registers its value with {@link registerSecretValue}, so any echo of
 * it in text bound for chat or logs is redacted.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    registerSecretValue(value);
  }

  /** The real value. Call only where it is sent to the system it belongs to. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}
