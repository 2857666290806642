/**
 * What the bot shows for an incident, platform-neutral: the root message of its thread ({@link IncidentCard}), the
 * one-line notes in the thread, and the storm summary. Each chat platform renders these with its own renderer.
 */
import type { AlertSource, IncidentStatus } from './alert.js';

/** Red while triggered, amber once acknowledged, green when resolved. */
export type IncidentBadge = 'red' | 'amber' | 'green';

/** The badge of a status. */
export function badgeOf(status: IncidentStatus): IncidentBadge {
  return status === 'resolved' ? 'green' : status === 'acknowledged' ? 'amber' : 'red';
}

/** The root message of an incident's thread; updated in place as the incident moves. */
export interface IncidentCard {
  /** The bot's incident id (`inc_…`), shown for `/runbook incidents` and logs. */
  readonly incidentId: string;
  readonly source: AlertSource;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly number?: number;
  readonly priority?: string;
  readonly urgency?: string;
  readonly service?: string;
  readonly assignees: readonly string[];
  /** Link to the incident in its source. */
  readonly url?: string;
  /** Who acknowledged it (shown while acknowledged). */
  readonly acknowledgedBy?: string;
  /** Who resolved it. */
  readonly resolvedBy?: string;
  /** How long it lasted, ms, once resolved. */
  readonly durationMs?: number;
  /** What the bot runs in the thread, e.g. "Corvo prod: health, sqlite-diverged". */
  readonly runbook?: string;
  /** This root replaces one that was deleted from the channel. */
  readonly replacesDeletedRoot?: boolean;
  /** Buttons on the root (issue 12): only those the bot can carry out (a read-write PagerDuty key, ALERTMANAGER_URL). */
  readonly actions?: readonly IncidentActionKind[];
  /**
   * The active silence the bot created for this incident: who, until when (ISO-8601), and the bot's record id (the
   * Unsilence button carries it).
   */
  readonly silence?: { readonly by: string; readonly until: string; readonly recordId: string };
}

/**
 * What a button on an incident root does. PagerDuty: acknowledge, resolve, escalate (next level), reassign (to the
 * clicker), note. Alertmanager: silence for 1h/4h/24h (after a preview and a confirmation), unsilence.
 */
export type IncidentActionKind =
  | 'acknowledge'
  | 'resolve'
  | 'escalate'
  | 'reassign'
  | 'note'
  | 'silence-1h'
  | 'silence-4h'
  | 'silence-24h'
  | 'unsilence';

/** Every action kind, in button order. */
export const INCIDENT_ACTION_KINDS: readonly IncidentActionKind[] = [
  'acknowledge',
  'resolve',
  'escalate',
  'reassign',
  'note',
  'silence-1h',
  'silence-4h',
  'silence-24h',
  'unsilence',
];

/** The label of an incident button (CONTRACT.md: Acknowledge, Resolve, Escalate, Reassign, Add note, Silence, Unsilence). */
export function incidentActionLabel(kind: IncidentActionKind): string {
  switch (kind) {
    case 'acknowledge':
      return 'Acknowledge';
    case 'resolve':
      return 'Resolve';
    case 'escalate':
      return 'Escalate';
    case 'reassign':
      return 'Reassign to me';
    case 'note':
      return 'Add note';
    case 'silence-1h':
      return 'Silence 1h';
    case 'silence-4h':
      return 'Silence 4h';
    case 'silence-24h':
      return 'Silence 24h';
    case 'unsilence':
      return 'Unsilence';
  }
}

/** "HH:MM UTC" of an ISO time (silence ends). */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'unknown time' : `${d.toISOString().slice(11, 16)} UTC`;
}

/** One line in the thread for one change ("Acknowledged by Dana Oncall"). */
export interface IncidentNote {
  /** The incident's status after the change (renders the badge). */
  readonly status: IncidentStatus;
  /** Plain text from the alert source: renderers escape it. */
  readonly text: string;
  /** A button under the line: the silence preview's Confirm (value `<incident id>--<silence record id>`). */
  readonly button?: { readonly action: 'silence-confirm'; readonly label: string; readonly value: string };
}

/** "37 more incidents for Corvo Production in the last minute — see `/runbook incidents`". */
export interface StormSummary {
  /** Incidents recorded without a thread of their own in this window. */
  readonly count: number;
  /** Those incidents by service, largest first. */
  readonly byService: readonly { readonly service: string; readonly count: number }[];
  /** Length of the storm window, ms. */
  readonly windowMs: number;
  /** The command that lists them. */
  readonly command: string;
}

/** Anything the bot posts about incidents. */
export type IncidentMessage =
  | { readonly kind: 'root'; readonly card: IncidentCard }
  | { readonly kind: 'note'; readonly note: IncidentNote }
  | { readonly kind: 'storm-summary'; readonly summary: StormSummary };

/** A duration as people say it: `45s`, `31m 23s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown time';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

/** The status line under the badge: "Triggered", "Acknowledged by Dana Oncall", "Resolved after 31m 23s". */
export function describeIncidentStatus(
  card: Pick<IncidentCard, 'status' | 'acknowledgedBy' | 'resolvedBy' | 'durationMs'>,
): string {
  switch (card.status) {
    case 'triggered':
      return 'Triggered';
    case 'acknowledged':
      return card.acknowledgedBy ? `Acknowledged by ${card.acknowledgedBy}` : 'Acknowledged';
    case 'resolved': {
      const after = card.durationMs !== undefined ? ` after ${formatDuration(card.durationMs)}` : '';
      return `Resolved${after}${card.resolvedBy ? ` by ${card.resolvedBy}` : ''}`;
    }
  }
}

/** "the last minute", "the last 5 minutes", "the last 30 seconds". */
export function describeWindow(windowMs: number): string {
  const s = Math.round(windowMs / 1000);
  if (s === 60) return 'the last minute';
  if (s % 60 === 0) return `the last ${s / 60} minutes`;
  return `the last ${s} seconds`;
}

/** The summary sentence, plain text. */
export function describeStormSummary(summary: StormSummary): string {
  const n = summary.count;
  const what = `${n} more incident${n === 1 ? '' : 's'}`;
  const top = summary.byService;
  const services =
    top.length === 1
      ? ` for ${top[0]!.service}`
      : top.length > 1
        ? ` (${top
            .slice(0, 5)
            .map((s) => `${s.service} ${s.count}`)
            .join(', ')}${top.length > 5 ? `, ${top.length - 5} more services` : ''})`
        : '';
  return `${what}${services} in ${describeWindow(summary.windowMs)} — see ${summary.command}`;
}

const BADGE_TEXT: Record<IncidentBadge, string> = { red: '[RED]', amber: '[AMBER]', green: '[GREEN]' };

/** Plain-text rendering (terminal chat, and the fallback of transports without rich incident messages). */
export function renderIncidentMessageText(message: IncidentMessage): string {
  if (message.kind === 'note') return `${BADGE_TEXT[badgeOf(message.note.status)]} ${message.note.text}`;
  if (message.kind === 'storm-summary') return describeStormSummary(message.summary);
  const c = message.card;
  const head = `${BADGE_TEXT[badgeOf(c.status)]} ${c.number !== undefined ? `#${c.number} ` : ''}${c.title}`;
  const facts = [
    describeIncidentStatus(c),
    c.priority ? `priority ${c.priority}` : undefined,
    c.urgency ? `urgency ${c.urgency}` : undefined,
    c.service ? `service ${c.service}` : undefined,
    c.assignees.length ? `assigned to ${c.assignees.join(', ')}` : undefined,
  ].filter(Boolean);
  const lines = [head, facts.join(' · ')];
  if (c.url) lines.push(c.url);
  if (c.silence) lines.push(`Silenced by ${c.silence.by} until ${formatClock(c.silence.until)}`);
  if (c.runbook) lines.push(`Runbook: ${c.runbook}`);
  if (c.replacesDeletedRoot) lines.push('(replaces the earlier root message, which was deleted)');
  return lines.join('\n');
}
