import type { IncidentActionKind } from './incident.js';
import type { Actor, Conversation } from './invocation.js';

/**
 * A button click from any chat platform, already verified: on an offered fix of a report (`offer`), or on an
 * approval card (`decision`). Carries only opaque ids; everything else is looked up in Postgres by the worker.
 */
export type ChatInteraction =
  | {
      readonly kind: 'offer';
      readonly offerId: string;
      readonly actor: Actor;
      readonly conversation: Conversation;
      /** Unique per click, identical on redelivery ([A-Za-z0-9_-]). */
      readonly deliveryKey: string;
    }
  | {
      readonly kind: 'decision';
      readonly approvalId: string;
      readonly decision: 'approve' | 'deny';
      readonly actor: Actor;
      readonly conversation: Conversation;
      /**
       * The message the button was on (Slack message `ts`, Teams activity id). A decision counts only on the card
       * the request was shown on: same platform, same conversation, this message.
       */
      readonly messageId?: string;
      readonly deliveryKey: string;
    }
  /**
   * A click on an incident root's button (issue 12), or a submitted note / a silence confirmation. `noteDraftId`
   * names the note text the web process stored in Postgres (chat text never travels in job data).
   */
  | {
      readonly kind: 'incident-action';
      readonly incidentId: string;
      readonly action: IncidentActionKind | 'silence-confirm';
      /** For `silence-confirm` and `unsilence`: the bot's silence record id. */
      readonly silenceRecordId?: string;
      readonly noteDraftId?: string;
      /**
       * The note's text as typed (web process only): stored in Postgres as a draft and replaced by `noteDraftId`
       * before queueing; never in job data.
       */
      readonly noteText?: string;
      readonly actor: Actor;
      readonly conversation: Conversation;
      readonly messageId?: string;
      readonly deliveryKey: string;
    }
  /**
   * A verified click the bot has no handler for (a button of an older version, an unknown action id, an empty
   * `block_actions`): acknowledged at once; the clicker is told privately that the button is stale. Nothing changes.
   */
  | {
      readonly kind: 'stale';
      readonly actor: Actor;
      readonly conversation: Conversation;
      readonly deliveryKey: string;
    };
