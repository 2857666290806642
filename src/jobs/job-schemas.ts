import { z } from 'zod';

/** Queue names. The folder/queue name is the id used in job names, log fields and metric labels. */
export const QUEUES = {
  /** Runs a workflow and stores its report. */
  diagnostics: 'diagnostics',
  /** Posts or updates chat messages (separate, so a Slack 429 retries the post, not the diagnosis). */
  chatPosts: 'chat-posts',
  /** Button clicks and approval requests/decisions/expiry. */
  interactions: 'interactions',
  /** Approved steps; jobId = approval id. */
  remediations: 'remediations',
  /** Recorded alert events (PagerDuty, Alertmanager) to apply to their incident. */
  alertEvents: 'alert-events',
  /** Incident roots, thread notes and storm summaries (paced per channel, coalesced per message). */
  incidentPosts: 'incident-posts',
  /** Clicks on incident roots (acknowledge, resolve, note, silence…) and silence reminders (issue 12). */
  incidentActions: 'incident-actions',
} as const;

const ConversationSchema = z.object({
  platform: z.enum(['slack', 'teams', 'terminal']),
  channelId: z.string().min(1).max(200),
  threadId: z.string().max(200).optional(),
  teamId: z.string().max(200).optional(),
});

const ActorSchema = z.object({
  platform: z.enum(['slack', 'teams', 'terminal']),
  userId: z.string().min(1).max(200),
  name: z.string().max(200).optional(),
});

/** Job data of `interactions`: ids and parsed references only. */
export const InteractionJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('offer'),
    offerId: z.string().min(1).max(100),
    actor: ActorSchema,
    conversation: ConversationSchema,
    deliveryKey: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  }),
  z.object({
    kind: z.literal('request'),
    system: z.string().min(1).max(50),
    target: z.string().min(1).max(80),
    remediation: z.string().min(1).max(80),
    params: z.record(z.string(), z.string().max(300)),
    actor: ActorSchema,
    conversation: ConversationSchema,
    deliveryKey: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  }),
  z.object({
    kind: z.literal('decision'),
    approvalId: z.string().min(1).max(150),
    decision: z.enum(['approve', 'deny']),
    actor: ActorSchema,
    conversation: ConversationSchema,
    /** The message the button was on; the engine refuses a decision made anywhere but on the request's card. */
    messageId: z.string().min(1).max(200).optional(),
  }),
  /** A click with no handler: the clicker is told the button is stale. */
  z.object({ kind: z.literal('stale'), actor: ActorSchema, conversation: ConversationSchema }),
  z.object({ kind: z.literal('expire'), approvalId: z.string().min(1).max(150) }),
  z.object({ kind: z.literal('sweep') }),
]);
export type InteractionJob = z.infer<typeof InteractionJobSchema>;

/** Job data of `remediations`. */
export const RemediationJobSchema = z.object({ approvalId: z.string().min(1).max(150) });
export type RemediationJob = z.infer<typeof RemediationJobSchema>;

/** Job data of `diagnostics`: an Invocation — ids and parsed references only, never tokens or raw text. */
export const DiagnosticJobSchema = z.object({
  invocationId: z.string().min(1).max(100),
  system: z.string().min(1).max(50),
  workflow: z.string().min(1).max(80),
  target: z.string().max(80),
  args: z.record(z.string(), z.string().max(300)),
  actor: ActorSchema,
  conversation: ConversationSchema,
  requestedAt: z.string(),
});
export type DiagnosticJob = z.infer<typeof DiagnosticJobSchema>;

/** Job data of `chat-posts`: which stored report to post where. */
export const ChatPostJobSchema = z.object({
  /** Idempotency key of the message (`report:<invocationId>`). */
  postId: z.string().min(1).max(200),
  kind: z.literal('report'),
  invocationId: z.string().min(1).max(100),
  conversation: ConversationSchema,
});
export type ChatPostJob = z.infer<typeof ChatPostJobSchema>;

/** Job data of `alert-events`: the id of a row of `alert_events` (the event itself stays in Postgres). */
export const AlertEventJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), eventId: z.string().min(1).max(300) }),
  /** Periodic safety net: re-queues recorded events whose job never ran (Redis lost it, or queueing failed). */
  z.object({ kind: z.literal('sweep') }),
]);
export type AlertEventJob = z.infer<typeof AlertEventJobSchema>;

/** Job data of `incident-posts`: which thread or storm summary to bring up to date (state is read from Postgres). */
export const IncidentPostJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('thread'),
    incidentId: z.string().regex(/^inc_[0-9a-f]{1,64}$/),
    platform: z.enum(['slack', 'teams', 'terminal']),
  }),
  z.object({
    kind: z.literal('storm-summary'),
    platform: z.enum(['slack', 'teams', 'terminal']),
    channelId: z.string().min(1).max(200),
    /** ISO-8601 start of the storm window. */
    windowStart: z.string().min(1).max(40),
  }),
]);
export type IncidentPostJob = z.infer<typeof IncidentPostJobSchema>;

/** Job data of `incident-actions`: ids only (a note's text stays in Postgres under `noteDraftId`). */
export const IncidentActionJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('action'),
    incidentId: z.string().regex(/^inc_[0-9a-f]{1,64}$/),
    action: z.enum([
      'acknowledge',
      'resolve',
      'escalate',
      'reassign',
      'note',
      'silence-1h',
      'silence-4h',
      'silence-24h',
      'unsilence',
      'silence-confirm',
    ]),
    silenceRecordId: z
      .string()
      .regex(/^sil_[0-9a-f]{1,64}$/)
      .optional(),
    noteDraftId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/)
      .optional(),
    actor: ActorSchema,
    conversation: ConversationSchema,
    messageId: z.string().min(1).max(200).optional(),
    deliveryKey: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  }),
  /** Periodic: silences about to end while their alerts still fire get a reminder; ended ones are marked. */
  z.object({ kind: z.literal('silence-sweep') }),
]);
export type IncidentActionJob = z.infer<typeof IncidentActionJobSchema>;
