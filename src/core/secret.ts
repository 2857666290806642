import { inspect } from 'node:util';

/**
 * A secret value that prints as `[redacted]` everywhere (String(), JSON, util.inspect, template literals), so a
 * config dump or an error message can never leak it. Read the value with {@link Secret.reveal} at the one place that
 * needs it (an HTTP header).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
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
