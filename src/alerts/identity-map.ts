import type pg from 'pg';
import type { ChatTransport } from '../core/chat-transport.js';
import type { Actor, Conversation, Platform } from '../core/invocation.js';

/** A PagerDuty user as the identity map needs it: the id, and the email that goes into `From`. */
export interface PagerDutyIdentity {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
}

/** The PagerDuty look-ups the map uses (`GET /users?query=`, `GET /users/{id}`). */
export interface PagerDutyUserDirectory {
  findUserByEmail(email: string): Promise<PagerDutyIdentity | undefined>;
  getUser(id: string): Promise<PagerDutyIdentity | undefined>;
}

/** A pin from the config (`identities`): a PagerDuty user id, or the email to look up. */
export type IdentityPin = { readonly pagerduty: string } | { readonly email: string };

export type IdentityResult =
  | { readonly kind: 'matched'; readonly user: PagerDutyIdentity; readonly via: 'pin' | 'email' | 'cache' }
  | { readonly kind: 'unmatched'; readonly reason: string };

export interface IdentityMapDeps {
  readonly db: Pick<pg.Pool, 'query'>;
  readonly pagerduty: PagerDutyUserDirectory;
  readonly transports: Readonly<Partial<Record<Platform, ChatTransport>>>;
  readonly pins: Readonly<Record<string, IdentityPin>>;
  /** How long a match is trusted before it is looked up again, ms. */
  readonly refreshMs: number;
}

const PLATFORM_NAME: Record<string, string> = { slack: 'Slack', teams: 'Teams', terminal: 'terminal' };

/** What to tell someone who cannot be matched: how to link themselves (nothing was sent). */
export function howToLink(principal: string, why: string): string {
  return (
    `You are not linked to a PagerDuty user, so nothing was sent to PagerDuty: ${why}. ` +
    `Ask the bot's operators to add you under identities in its config, e.g. ` +
    `"${principal}": { pagerduty: "<your PagerDuty user id>" } (or { email: "<your PagerDuty login email>" }).`
  );
}

/**
 * One identity map across Slack, Teams and PagerDuty (issue 12): a chat user's profile email (Slack `users.info`,
 * the Teams conversation member) → the PagerDuty user with exactly that email (`GET /users?query=`, filtered for an
 * exact match). Matches are kept in Postgres and looked up again after `refreshMs`; config pins win. Display names
 * are never used to match.
 */
export function createIdentityMap(deps: IdentityMapDeps) {
  async function fromEmail(principal: string, email: string, via: 'pin' | 'email'): Promise<IdentityResult> {
    const user = await deps.pagerduty.findUserByEmail(email);
    if (!user) {
      return {
        kind: 'unmatched',
        // Not the address itself: on Teams this answer is a reply the whole thread sees, and it is audited.
        reason: howToLink(
          principal,
          via === 'pin'
            ? 'no PagerDuty user has the email pinned for you'
            : 'no PagerDuty user has your profile’s email',
        ),
      };
    }
    await remember(principal, email, user);
    return { kind: 'matched', user, via };
  }

  async function remember(principal: string, email: string | null, user: PagerDutyIdentity): Promise<void> {
    await deps.db.query(
      `insert into identities (principal, email, pagerduty_user_id, pagerduty_email, pagerduty_name, resolved_at)
       values ($1, $2, $3, $4, $5, now())
       on conflict (principal) do update set email = excluded.email, pagerduty_user_id = excluded.pagerduty_user_id,
         pagerduty_email = excluded.pagerduty_email, pagerduty_name = excluded.pagerduty_name, resolved_at = now()`,
      [principal, email, user.id, user.email, user.name ?? null],
    );
  }

  return {
    /** The PagerDuty user `actor` acts as, or why there is none. */
    async resolve(actor: Actor, conversation: Conversation): Promise<IdentityResult> {
      const principal = `${actor.platform}:${actor.userId}`;
      const pin = deps.pins[principal];
      if (pin && 'pagerduty' in pin) {
        const user = await deps.pagerduty.getUser(pin.pagerduty);
        if (!user) {
          return {
            kind: 'unmatched',
            reason: howToLink(principal, `the pinned PagerDuty user ${pin.pagerduty} does not exist`),
          };
        }
        return { kind: 'matched', user, via: 'pin' };
      }
      if (pin) return fromEmail(principal, pin.email, 'pin');

      const { rows } = await deps.db.query(
        `select pagerduty_user_id, pagerduty_email, pagerduty_name from identities
         where principal = $1 and pagerduty_user_id is not null and resolved_at > now() - make_interval(secs => $2)`,
        [principal, deps.refreshMs / 1000],
      );
      if (rows[0]) {
        return {
          kind: 'matched',
          user: {
            id: rows[0].pagerduty_user_id,
            email: rows[0].pagerduty_email,
            name: rows[0].pagerduty_name ?? undefined,
          },
          via: 'cache',
        };
      }
      const transport = deps.transports[actor.platform];
      const email = transport?.userEmail ? await transport.userEmail(actor.userId, conversation) : undefined;
      if (!email) {
        return {
          kind: 'unmatched',
          reason: howToLink(
            principal,
            `your ${PLATFORM_NAME[actor.platform] ?? actor.platform} profile shows no email the bot can read`,
          ),
        };
      }
      return fromEmail(principal, email, 'email');
    },
  };
}

export type IdentityMap = ReturnType<typeof createIdentityMap>;
