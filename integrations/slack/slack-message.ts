import type { KnownBlock } from '@slack/types';

/** A message ready for `chat.postMessage` / `respond()`. */
export interface SlackMessage {
  /** Notification fallback, e.g. "Corvo health on prod: CRITICAL — 2 critical, 1 warning". */
  readonly text: string;
  readonly blocks: KnownBlock[];
}
