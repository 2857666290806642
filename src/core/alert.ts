/**
 * The platform-neutral alert model. Each alert source (PagerDuty, Alertmanager) has one adapter that verifies a
 * webhook and normalizes it to an {@link AlertEvent}; everything after that (routing, incident state, threads) knows
 * no source-specific shape.
 */

/** Where an alert came from; also the id used in log fields and metric labels. */
export type AlertSource = 'pagerduty' | 'alertmanager';

/** The lifecycle of an incident, as every source can express it. */
export type IncidentStatus = 'triggered' | 'acknowledged' | 'resolved';

/**
 * The whole visible state of an incident as its source described it at `AlertEvent.occurredAt`. A newer snapshot
 * replaces an older one; an older one arriving late is ignored (out-of-order delivery).
 */
export interface IncidentSnapshot {
  readonly status: IncidentStatus;
  /** One line, e.g. "Corvo Production — SQLite mirror dropping updates". */
  readonly title: string;
  /** The source's human number (PagerDuty `#4812`). */
  readonly number?: number;
  /** `P1`, or the Alertmanager `severity` label. */
  readonly priority?: string;
  /** `high` / `low`. */
  readonly urgency?: string;
  /** PagerDuty service summary, or the Alertmanager `service`/`job` label. */
  readonly service?: string;
  /** Display names of who the incident is assigned to. */
  readonly assignees: readonly string[];
  /** Link to the incident in its source. */
  readonly url?: string;
  /** ISO-8601 time the incident started. */
  readonly startedAt: string;
  /** ISO-8601 time it was resolved, when `status` is `resolved`. */
  readonly resolvedAt?: string;
}

/** One change to an incident, delivered once or more by its source; everything in it is safe to store. */
export interface AlertEvent {
  readonly source: AlertSource;
  /**
   * Stable across redeliveries of the same change: the dedupe key (`pd:<event.id>`, `am:<hash of groupKey, status
   * and the alerts' fingerprints>`).
   */
  readonly eventId: string;
  /** The incident in its source: PagerDuty incident id, Alertmanager `groupKey`. */
  readonly externalId: string;
  /** `incident.acknowledged`, `alertmanager.firing`, … */
  readonly type: string;
  /** ISO-8601; orders snapshots of one incident. */
  readonly occurredAt: string;
  /** Who made the change (PagerDuty agent), when known. */
  readonly actor?: string;
  /** The PagerDuty user id of that agent (a `user_reference`), when known: recognises the echo of our own write. */
  readonly actorId?: string;
  /** Full state when the event carries one (most PagerDuty `incident.*` types, every Alertmanager notification). */
  readonly snapshot?: IncidentSnapshot;
  /** What the event names when it carries no snapshot (a note, a responder request). */
  readonly reference?: { readonly title: string; readonly url?: string };
  /** The one-line thread note for this change ("Acknowledged by Dana Oncall"). */
  readonly note?: string;
  /** True for the event that opens an incident (`incident.triggered`, a first firing): its root says it all. */
  readonly opens: boolean;
  /**
   * What routing rules match against: `title`, `service`, `alertname`, `runbook_url`, the Alertmanager common
   * labels, PagerDuty `priority`/`urgency`.
   */
  readonly labels: Readonly<Record<string, string>>;
}
