import type { AlertEvent } from './alert.js';

/**
 * Records a verified, normalized alert event durably and queues its processing. Resolves `duplicate` when the event
 * was already recorded and queued (a redelivery); rejects only when Postgres or Redis is unavailable, so the webhook
 * answers 5xx and the sender retries.
 */
export type AlertIntake = (event: AlertEvent, meta: AlertDeliveryMeta) => Promise<'accepted' | 'duplicate'>;

/**
 * Whether an event id was already recorded and queued: lets a webhook answer a redelivery before normalizing it.
 * Rejects when the store is unavailable (the caller then takes the full path).
 */
export type AlertSeen = (eventId: string) => Promise<boolean>;

/** Delivery facts kept with the event for the audit trail (never used for dedupe: headers are not signed). */
export interface AlertDeliveryMeta {
  /** PagerDuty `X-Webhook-Id`. */
  readonly deliveryId?: string;
}

/** What a webhook route did with one request (metric label `outcome`). */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'ignored' | 'unauthorized' | 'malformed' | 'unavailable';
