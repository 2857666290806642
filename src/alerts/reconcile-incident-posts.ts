import type pg from 'pg';
import {
  MessageNotFoundError,
  PermanentDeliveryError,
  RateLimitedError,
  type ChatTransport,
  type PostedMessage,
} from '../core/chat-transport.js';
import type { Clock } from '../core/clock.js';
import { renderIncidentMessageText, type IncidentMessage } from '../core/incident.js';
import type { Conversation, Invocation, Platform } from '../core/invocation.js';
import type { Logger } from '../core/logger.js';
import { invocationIdFor } from '../jobs/dispatch-command.js';
import { channelKeyOf, type ChannelPacer } from '../jobs/channel-pacer.js';
import { saveChatPost } from '../store/chat-posts.js';
import { createIncidentCard, hashMessage, type IncidentCardExtras } from './create-incident-card.js';
import {
  forgetDeletedRoot,
  type IncidentRecord,
  listUnpostedNotes,
  loadIncident,
  loadStormWindow,
  loadThread,
  markDiagnosticsStarted,
  notePostId,
  saveRoot,
  saveStormMessage,
  setRenderedHash,
  stormServices,
} from './incident-store.js';
import type { RenderGuard } from './render-guard.js';

export interface ReconcileDeps {
  readonly db: pg.Pool;
  readonly guard: RenderGuard;
  readonly pacer: ChannelPacer;
  readonly transports: Readonly<Partial<Record<Platform, ChatTransport>>>;
  /** Queues a diagnostic run (the normal invocation path: report stored, then posted in the thread). */
  readonly enqueueDiagnostic: (invocation: Invocation) => Promise<void>;
  /** `Corvo` for `corvo`. */
  readonly displayNameOf: (system: string) => string;
  /**
   * The buttons and silence line of an incident's root (issue 12), from what the bot can do right now. Absent: no
   * buttons (today's behaviour).
   */
  readonly rootExtras?: (incident: IncidentRecord) => Promise<IncidentCardExtras>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Done, or come back in `ms` (a pacing slot, a 429, or another job holding the target). */
export type ReconcileResult = { readonly kind: 'done' } | { readonly kind: 'wait'; readonly ms: number };

const DONE: ReconcileResult = { kind: 'done' };
/** A job talks to the chat platform about one target at a time; the lock outlives any single Slack call. */
const LOCK_MS = 60_000;
/** Bound on the work one run does before yielding (every step is persisted, so the next run continues). */
const MAX_STEPS = 40;

/** No transport is configured for the platform: a retry will not fix it. */
export class NoTransportError extends PermanentDeliveryError {
  constructor(platform: string) {
    super(`no ${platform} transport configured`);
    this.name = 'NoTransportError';
  }
}

async function post(t: ChatTransport, conversation: Conversation, m: IncidentMessage): Promise<PostedMessage> {
  return t.postIncidentMessage
    ? t.postIncidentMessage(conversation, m)
    : t.postText(conversation, renderIncidentMessageText(m));
}

async function update(t: ChatTransport, posted: PostedMessage, m: IncidentMessage): Promise<void> {
  // A transport that cannot edit keeps the first rendering; the thread notes still tell the story.
  if (t.updateIncidentMessage) await t.updateIncidentMessage(posted, m);
}

/**
 * Runs `body` holding the target's lock, honouring the pending-slot protocol of {@link RenderGuard}. `slot()` inside
 * the body takes a pacing slot for the channel, or says how long to wait for it.
 */
async function withTarget(
  deps: ReconcileDeps,
  target: string,
  channelKey: string,
  holderId: string,
  body: (slot: () => Promise<number>) => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  // Someone already waits for this target's next slot and will render whatever we committed before looking.
  const waiting = await deps.guard.pendingHolder(target);
  if (waiting && waiting !== holderId) return DONE;
  if (!(await deps.guard.lock(target, holderId, LOCK_MS))) {
    return { kind: 'wait', ms: 200 + Math.floor(Math.random() * 200) };
  }
  try {
    const pending = await deps.guard.pendingHolder(target);
    // Another job holds the next slot for this target and will render its latest state when it runs.
    if (pending && pending !== holderId) return DONE;
    if (pending === holderId) await deps.guard.clearPending(target, holderId);
    const result = await body(() => deps.pacer.acquire(channelKey, holderId)).catch(async (err: unknown) => {
      if (!(err instanceof RateLimitedError)) throw err;
      // Slack said slow down: nobody posts into this channel before Retry-After, and this job comes back then.
      await deps.pacer.penalize(channelKey, err.retryAfterMs);
      return { kind: 'wait', ms: err.retryAfterMs } as const;
    });
    if (result.kind === 'wait') await deps.guard.setPending(target, holderId, result.ms + LOCK_MS);
    return result;
  } finally {
    await deps.guard.unlock(target, holderId).catch(() => {});
  }
}

/**
 * Brings one incident's thread on one platform in line with Postgres, one paced step at a time: post the root if
 * there is none (again if it was deleted), update it in place if what it shows changed (only the latest state is
 * rendered), start the routed diagnostics in the thread, then post the notes not yet posted. Idempotent; safe to run
 * from any number of jobs and processes at once.
 */
export async function reconcileThread(
  deps: ReconcileDeps,
  incidentId: string,
  platform: Platform,
  holderId: string,
): Promise<ReconcileResult> {
  const log = deps.logger.child({ incidentId, platform });
  const thread0 = await loadThread(deps.db, incidentId, platform);
  if (!thread0 || thread0.suppressed) return DONE;
  const transport = deps.transports[platform];
  if (!transport) throw new NoTransportError(platform);
  const channelKey = channelKeyOf({ platform, channelId: thread0.channelId });

  return withTarget(deps, `thread:${incidentId}:${platform}`, channelKey, holderId, async (slot) => {
    for (let step = 0; step < MAX_STEPS; step++) {
      const incident = await loadIncident(deps.db, incidentId);
      const thread = await loadThread(deps.db, incidentId, platform);
      if (!incident || !thread) return DONE;
      const conversation: Conversation = { platform, channelId: thread.channelId };
      const extras = deps.rootExtras ? await deps.rootExtras(incident) : {};
      const card = createIncidentCard(incident, thread, deps.displayNameOf, extras);
      const message: IncidentMessage = { kind: 'root', card };
      const hash = hashMessage(message);

      if (thread.rootMessageId === null) {
        const wait = await slot();
        if (wait > 0) return { kind: 'wait', ms: wait };
        const posted = await post(transport, conversation, message);
        await saveRoot(deps.db, incidentId, platform, posted.messageId, hash);
        log.info({ channel: thread.channelId, status: incident.status }, 'incident root posted');
        continue;
      }
      const root: PostedMessage = { channelId: thread.channelId, messageId: thread.rootMessageId };
      if (thread.renderedHash !== hash) {
        const wait = await slot();
        if (wait > 0) return { kind: 'wait', ms: wait };
        try {
          await update(transport, root, message);
        } catch (err) {
          if (!(err instanceof MessageNotFoundError)) throw err;
          log.warn({ channel: thread.channelId }, 'incident root was deleted; posting a new one');
          await forgetDeletedRoot(deps.db, incidentId, platform, thread.rootMessageId);
          continue;
        }
        await setRenderedHash(deps.db, incidentId, platform, hash);
        continue;
      }
      if (
        incident.diagnosticsGeneration > thread.diagnosticsGeneration &&
        incident.system &&
        incident.target &&
        incident.workflows.length > 0
      ) {
        const generation = incident.diagnosticsGeneration;
        for (const workflow of incident.workflows) {
          await deps.enqueueDiagnostic({
            invocationId: invocationIdFor('alert', `${incidentId}:${platform}:${generation}:${workflow}`),
            system: incident.system,
            workflow,
            target: incident.target,
            args: {},
            actor: {
              platform,
              userId: incident.source,
              name: incident.source === 'pagerduty' ? 'PagerDuty' : 'Alertmanager',
            },
            conversation: { ...conversation, threadId: thread.rootMessageId },
            requestedAt: new Date(deps.clock.now()).toISOString(),
          });
        }
        await markDiagnosticsStarted(deps.db, incidentId, platform, generation);
        log.info({ workflows: incident.workflows, system: incident.system }, 'incident diagnostics queued');
        continue;
      }
      const [note] = await listUnpostedNotes(deps.db, incidentId, platform, 1);
      if (!note) return DONE;
      const wait = await slot();
      if (wait > 0) return { kind: 'wait', ms: wait };
      const posted = await post(
        transport,
        { ...conversation, threadId: thread.rootMessageId },
        { kind: 'note', note: { status: note.status, text: note.text } },
      );
      await saveChatPost(deps.db, {
        postId: notePostId(note.id, platform),
        platform,
        channelId: posted.channelId,
        messageId: posted.messageId,
        threadId: thread.rootMessageId,
      });
    }
    return { kind: 'wait', ms: 0 };
  });
}

/** The command that lists every incident, named in the storm summary. */
export const INCIDENTS_COMMAND = '/runbook incidents';

/**
 * Brings a storm window's summary message in line with Postgres: posted once when the first incident is folded into
 * it, then updated in place (coalesced, paced) as the count grows.
 */
export async function reconcileStormSummary(
  deps: ReconcileDeps,
  platform: Platform,
  channelId: string,
  windowStart: Date,
  holderId: string,
): Promise<ReconcileResult> {
  const transport = deps.transports[platform];
  if (!transport) throw new NoTransportError(platform);
  const channelKey = channelKeyOf({ platform, channelId });
  const target = `storm:${platform}:${channelId}:${windowStart.getTime()}`;
  return withTarget(deps, target, channelKey, holderId, async (slot) => {
    for (let step = 0; step < 3; step++) {
      const w = await loadStormWindow(deps.db, platform, channelId, windowStart);
      if (!w || w.suppressed === 0) return DONE;
      const byService = await stormServices(deps.db, platform, channelId, windowStart);
      const message: IncidentMessage = {
        kind: 'storm-summary',
        summary: { count: w.suppressed, byService, windowMs: w.windowMs, command: INCIDENTS_COMMAND },
      };
      const hash = hashMessage(message);
      if (w.messageId !== null && w.renderedHash === hash) return DONE;
      const wait = await slot();
      if (wait > 0) return { kind: 'wait', ms: wait };
      if (w.messageId === null) {
        const posted = await post(transport, { platform, channelId }, message);
        await saveStormMessage(deps.db, w, posted.messageId, hash);
        deps.logger.info({ platform, channel: channelId, suppressed: w.suppressed }, 'storm summary posted');
        continue;
      }
      try {
        await update(transport, { channelId, messageId: w.messageId }, message);
        await saveStormMessage(deps.db, w, w.messageId, hash);
      } catch (err) {
        if (!(err instanceof MessageNotFoundError)) throw err;
        await saveStormMessage(deps.db, w, null, null);
      }
    }
    return DONE;
  });
}
